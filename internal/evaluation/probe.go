package evaluation

import (
	"context"

	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/probe"
)

// Live-device probing is evaluation too: the probe engine checks one
// device on the network and its findings bear on EN 303 645 provisions
// as a scan's do. Its types are re-exported so that the doors need not
// import the engines.
type (
	// ProbeOptions steer a probe: ports, credentials and limits.
	ProbeOptions = probe.Options
	// ProbeLimits bound a probe's time, rate, concurrency and credential
	// attempts.
	ProbeLimits = probe.Limits
	// ProbePort is a port to try and the service expected there.
	ProbePort = probe.Port
	// ProbeCredential is a user name and password to try.
	ProbeCredential = probe.Credential
	// ProbeResult is what a probe found.
	ProbeResult = probe.Result
	// Component is a component a scan identified (name, version, CPE,
	// purl, where it was found).
	Component = inspect.Component
)

// ErrProbeTarget is wrapped by the errors about a target Probe refuses
// (a range, a list, a broadcast address: anything but one device).
var ErrProbeTarget = probe.ErrTarget

// ProbePorts are the ports a probe tries when it is given none: the
// common IoT services.
func ProbePorts() []ProbePort { return probe.DefaultPorts() }

// Probe checks the one device host names (an IP address or a host name)
// within opts' limits. It stores nothing and needs no database.
func (s *Service) Probe(ctx context.Context, host string, opts ProbeOptions) (*ProbeResult, error) {
	return probe.Run(ctx, host, opts)
}
