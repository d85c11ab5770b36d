// Command leadops-demo runs leadops end to end on one machine, for a look before a cluster: a local
// control plane (kube-apiserver + etcd, as envtest starts them), the CRDs, the manager with the embedded
// SQLite store and its HTTP API, the samples of config/samples, and a stream of synthetic leads worked
// by simulated reps. Time runs faster than the wall clock (--speed) from a Monday morning in the
// samples' quarter (--start), so the one-business-hour first-touch SLA breaches within a minute or two
// and the 2027-Q1 goals show progress. `make demo` runs it; Ctrl-C stops everything it started.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("leadops-demo", flag.ExitOnError)
	cfg.bindFlags(fs)
	_ = fs.Parse(os.Args[1:])
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "leadops-demo:", err)
		os.Exit(2)
	}

	// The first SIGINT/SIGTERM stops the demo; later ones only say that it is stopping. Exiting early
	// would orphan kube-apiserver and etcd, which run in their own process group.
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stdout, "\nInterrupted.")
		cancel()
		for range sigs {
			fmt.Fprintln(os.Stdout, "Still stopping; the local control plane is shutting down.")
		}
	}()
	if cfg.duration > 0 {
		go func() {
			select {
			case <-time.After(cfg.duration):
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	err := run(ctx, cfg, os.Stdout)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "leadops-demo:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stdout, "Stopped; nothing left running.")
}
