#include <stdio.h>
#include <string.h>
#include <stdlib.h>
int main(int argc, char **argv) {
	char buf[32];
	strcpy(buf, argc > 1 ? argv[1] : "status");
	printf("%s\n", buf);
	return system(buf);
}
