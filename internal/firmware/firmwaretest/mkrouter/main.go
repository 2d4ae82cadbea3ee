// Command mkrouter writes the realistic test router image of package
// firmwaretest to a file, for trying `iotsec scan` by hand:
//
//	go run ./internal/firmware/firmwaretest/mkrouter router.bin
//	iotsec scan router.bin
package main

import (
	"fmt"
	"os"

	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mkrouter FILE")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], firmwaretest.Router(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "mkrouter:", err)
		os.Exit(1)
	}
}
