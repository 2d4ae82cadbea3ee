package app

import (
	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/evaluation"
)

// Evaluation builds the evaluation service on the embedded catalog over
// store. The command line passes nil for its scans, which need no
// database; New builds the server's own from the catalog it loaded.
func Evaluation(store evaluation.Store) (*evaluation.Service, error) {
	base, err := crosswalk.Load()
	if err != nil {
		return nil, err
	}
	return newEvaluation(store, base)
}

// newEvaluation builds the evaluation service with an assessment engine
// over base.
func newEvaluation(store evaluation.Store, base *crosswalk.Catalog) (*evaluation.Service, error) {
	eng, err := assess.New(base)
	if err != nil {
		return nil, err
	}
	return evaluation.New(store, eng), nil
}
