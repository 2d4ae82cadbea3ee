// Command iotsec is IoT security from design to disposal: a command line and
// a multi-tenant server. See internal/cli for the commands.
package main

import (
	"context"
	"os"

	"github.com/iotsec/iotsec/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
