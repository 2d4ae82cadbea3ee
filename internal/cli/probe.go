package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/evaluation"
)

func newProbe(e *env) *cobra.Command {
	var (
		output, failOn string
		ports          []string
		lim            evaluation.ProbeLimits
		noCreds        bool
	)
	cmd := &cobra.Command{
		Use:   "probe HOST",
		Short: "Check one live device on the network",
		Long: `Probe checks the one device you name (an IP address or host name; never a
range, list or network block) for common IoT services: telnet, SSH, FTP, HTTP
and HTTPS, RTSP, MQTT, TR-069 and UPnP SSDP. It records banners, checks TLS
versions, cipher suites and the certificate, tries a short list of default
credentials (at most --attempts per service) on telnet, SSH, HTTP basic
authentication and FTP, and anonymous access on FTP and MQTT. Findings bear
on EN 303 645 provisions, like those of scan.

Only probe devices you are allowed to test. Connections are rate limited
(--rate per second, --concurrency at once) and the whole probe stops at
--max-time. With --fail-on, the exit code is 3 when a finding is at least
that severe.`,
		Example: `  iotsec probe 192.168.1.1
  iotsec probe camera.local --port 80 --port 8443=https -o json
  iotsec probe 10.0.0.7 --no-credentials --max-time 30s --fail-on high`,
		Args: exactArgs(1, "one argument, the device (an IP address or host name)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "table" && output != "json" {
				return usagef("-o %q is not one of table, json", output)
			}
			var sev evaluation.Severity
			if failOn != "" {
				var err error
				if sev, err = evaluation.ParseSeverity(failOn); err != nil {
					return usagef("--fail-on: %v", err)
				}
			}
			opts := evaluation.ProbeOptions{Limits: lim}
			if len(ports) > 0 {
				known := map[int]string{}
				for _, p := range evaluation.ProbePorts() {
					known[p.Port] = p.Service
				}
				for _, spec := range ports {
					num, svc, _ := strings.Cut(spec, "=")
					n, err := strconv.Atoi(num)
					if err != nil || n < 1 || n > 65535 {
						return usagef("--port %q: want a port number, optionally =service", spec)
					}
					if svc == "" {
						if svc = known[n]; svc == "" {
							return usagef("--port %d: say which service it is, e.g. %d=http", n, n)
						}
					}
					opts.Ports = append(opts.Ports, evaluation.ProbePort{Port: n, Service: svc})
				}
			}
			if noCreds {
				opts.Credentials = []evaluation.ProbeCredential{}
			}
			sv, err := offline(e)
			if err != nil {
				return err
			}
			res, err := sv.Evaluation.Probe(cmd.Context(), args[0], opts)
			if errors.Is(err, evaluation.ErrProbeTarget) {
				return usagef("%v", err)
			}
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				printProbe(e, res)
			}
			if sev != "" {
				n := 0
				for _, f := range res.Findings {
					if f.Severity.Rank() >= sev.Rank() {
						n++
					}
				}
				if n > 0 {
					return findingsError{n: n, sev: sev}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "table", "output format: table or json")
	f.StringArrayVar(&ports, "port", nil, "port to try instead of the defaults, as N or N=service (telnet, ssh, http, https, ftp, mqtt, mqtts, rtsp, tr-069, ssdp); repeatable")
	f.DurationVar(&lim.Timeout, "timeout", 3*time.Second, "longest wait for one connection or answer")
	f.DurationVar(&lim.MaxTime, "max-time", 2*time.Minute, "longest the whole probe may take")
	f.Float64Var(&lim.Rate, "rate", 10, "new connections per second (at most 50)")
	f.IntVar(&lim.Concurrency, "concurrency", 4, "services probed at once (at most 16)")
	f.IntVar(&lim.MaxAttempts, "attempts", 6, "default credential pairs tried per service (at most 20)")
	f.BoolVar(&noCreds, "no-credentials", false, "do not try default credentials (banners, TLS and anonymous access only)")
	f.StringVar(&failOn, "fail-on", "", "exit with code 3 when a finding is at least this severe")
	return cmd
}

func printProbe(e *env, r *evaluation.ProbeResult) {
	fmt.Fprintf(e.stdout, "%s (%s): %d services answered, %d ports closed, %d credential attempts, %.1f s\n", r.Host, r.Addr, len(r.Services), len(r.Closed), r.Attempts, r.Seconds)
	if len(r.Services) > 0 {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\nPORT\tSERVICE\tBANNER\tTLS\tLOGIN")
		for _, s := range r.Services {
			tlsInfo := "-"
			if s.TLS != nil {
				tlsInfo = strings.Join(s.TLS.Versions, ", ")
			}
			fmt.Fprintf(tw, "%s/%d\t%s\t%s\t%s\t%s\n", s.Proto, s.Port, s.Service, orDash(s.Banner), tlsInfo, orDash(s.Login))
		}
		tw.Flush()
	}
	fmt.Fprintf(e.stdout, "\nFINDINGS (%d)\n", len(r.Findings))
	if len(r.Findings) > 0 {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tRULE\tSERVICE\tTITLE\tEN 303 645")
		for _, f := range r.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Severity, f.Rule, f.Path, f.Title, strings.Join(f.Provisions, ", "))
		}
		tw.Flush()
	}
	for _, msg := range r.Errors {
		fmt.Fprintf(e.stdout, "note: %s\n", msg)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
