module github.com/iotsec/iotsec

go 1.26.8
