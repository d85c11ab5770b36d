package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// conn holds the connection flags every command accepts.
type conn struct {
	server    string
	tokenFile string
	storeDSN  string
	actor     string
	timeout   time.Duration
}

// newFlagSet returns a flag set with the connection flags bound to c, so they work before the command
// ("leadctl --server … get ID") and after it ("leadctl get ID --server …").
func newFlagSet(name string, c *conn, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.server, "server", c.server, "API server URL, e.g. https://leads.example.com (env LEADCTL_SERVER)")
	fs.StringVar(&c.tokenFile, "token-file", c.tokenFile, "file holding the API token (or set LEADCTL_TOKEN)")
	fs.StringVar(&c.storeDSN, "store", c.storeDSN, "talk to the store directly instead: sqlite:///path/leads.db or postgres://… (env LEADCTL_STORE)")
	fs.StringVar(&c.actor, "actor", c.actor, "name recorded in the audit log with --store (default: leadctl:$USER); the API uses the token's name")
	fs.DurationVar(&c.timeout, "timeout", durationOr(c.timeout, 5*time.Minute), "give up after this long")
	return fs
}

func durationOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// parseInterspersed parses flags that may come before, between and after positional arguments, which
// the standard flag package stops at: "leadctl reject L1 --reason 'no budget'" must work.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for range len(args) + 1 { // each round consumes at least one argument
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	return positional, nil
}

// exactlyOne checks the positional argument count.
func exactlyOne(fs *flag.FlagSet, args []string, what string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("%s: expected exactly one %s, got %d arguments", fs.Name(), what, len(args))
	}
	return args[0], nil
}

// parseFailed is the exit code after a flag error: -h is a successful request for help, anything else
// a usage error (the flag package has already printed what was wrong).
func parseFailed(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}
