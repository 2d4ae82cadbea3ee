module github.com/iotsec/iotsec

go 1.26.8

require (
	github.com/defenseunicorns/go-oscal v0.7.1
	github.com/google/go-cmp v0.7.0
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.2
)

require (
	golang.org/x/text v0.14.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
