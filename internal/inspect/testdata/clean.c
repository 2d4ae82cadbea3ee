#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
	char buf[32];
	snprintf(buf, sizeof buf, "%s", argc > 1 ? argv[1] : "status");
	memcpy(buf, "ok", 3);
	puts(buf);
	return 0;
}
