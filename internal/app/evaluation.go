package app

import (
	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/evaluation"
)

// newEvaluation builds the evaluation service with an assessment engine
// over base; store is nil for the command line's scans.
func newEvaluation(store evaluation.Store, base *crosswalk.Catalog) (*evaluation.Service, error) {
	eng, err := assess.New(base)
	if err != nil {
		return nil, err
	}
	return evaluation.New(store, eng), nil
}
