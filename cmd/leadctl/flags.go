package main

import (
	"bytes"
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
	caFile    string
	insecure  bool
}

// newFlagSet returns a flag set with the connection flags bound to c, so they work before the command
// ("leadctl --server … get ID") and after it ("leadctl get ID --server …").
func newFlagSet(name string, c *conn, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.server, "server", c.server, "API server URL, e.g. https://leads.example.com (env LEADCTL_SERVER)")
	fs.StringVar(&c.tokenFile, "token-file", c.tokenFile, "file holding the API token: the token alone, or the server's token file\n"+
		"(NAME:TOKEN lines with options; the first one is used); or set LEADCTL_TOKEN")
	fs.StringVar(&c.caFile, "ca-file", c.caFile, "PEM CA bundle that signed an https:// --server's certificate (env LEADCTL_CA_FILE; default: the system's roots)")
	fs.BoolVar(&c.insecure, "insecure", c.insecure, "allow a plain http:// --server that is not on this machine (the token crosses the network unencrypted)")
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

// parseCommand parses a command's flags and positional arguments. Help that was asked for (-h,
// --help) goes to stdout with exit 0, so it can be paged or grepped; a flag error goes to stderr with
// exit 2. ok is false when the command must stop with code.
func parseCommand(fs *flag.FlagSet, args []string, e env) (pos []string, code int, ok bool) {
	fs.Usage = func() { commandUsage(fs.Output(), fs) }
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	defer fs.SetOutput(e.stderr)
	pos, err := parseInterspersed(fs, args)
	if err == nil {
		return pos, exitOK, true
	}
	if errors.Is(err, flag.ErrHelp) {
		_, _ = io.Copy(e.stdout, &buf)
		return nil, exitOK, false
	}
	_, _ = io.Copy(e.stderr, &buf)
	return nil, exitUsage, false
}

// commandUsage is a command's help: its synopsis, what it does, and its flags.
func commandUsage(w io.Writer, fs *flag.FlagSet) {
	for _, c := range commands() {
		if c.name != fs.Name() {
			continue
		}
		fmt.Fprintf(w, "Usage: %s %s [flags] %s\n\n%s.\n", progName, c.name, c.args, upperFirst(c.summary))
		if c.help != "" {
			fmt.Fprintf(w, "\n%s\n", c.help)
		}
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.PrintDefaults()
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
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
