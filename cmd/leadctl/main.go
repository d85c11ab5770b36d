// Command leadctl is the lead store's command-line tool for people: import a CSV export, look a lead up
// with its history, and record what happened to it (touch, accept, reject, win, lose). It talks to the
// HTTP API (--server) or straight to a store (--store), and can run the API standalone (serve).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// env is what a command may touch of the outside world; tests pass their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

type command struct {
	name, args, summary string
	help                string // more for `leadctl COMMAND --help`, when the summary is not enough
	run                 func(ctx context.Context, e env, c *conn, args []string) int
}

func commands() []command {
	return []command{
		{"import", "FILE.csv", "import leads from a CSV file (all rows or none)", importHelp, runImport},
		{"get", "ID", "show a lead and its history", "", runGet},
		{"list", "", "list a rep's or a team's leads", listHelp, runList},
		{"qualify", "ID", "hand a lead to sales (marketing qualified it)", "", activity("qualify")},
		{"disqualify", "ID --reason TEXT", "keep a lead from sales, with the reason", "", activity("disqualify")},
		{"touch", "ID", "record a contact with a lead", "", activity("touch")},
		{"accept", "ID", "accept a lead for sales", "", activity("accept")},
		{"reject", "ID --reason TEXT", "reject a lead back to marketing, with the reason", "", activity("reject")},
		{"win", "ID --amount N", "record a won deal and its amount", "", activity("win")},
		{"lose", "ID", "record a lost deal", "", activity("lose")},
		{"forget", "ID", "erase the personal data of a lead and its duplicates", forgetHelp, runForget},
		{"audit", "verify [ID]", "check the tamper-evident audit log of a lead or the whole store", auditHelp, runAudit},
		{"explain", "ID", "tell a lead's story from its audit log, or why it was not routed", explainHelp, runExplain},
		{"scorecard", "--quarter 2027-Q1", "marketing's and sales' numbers and goal progress for a period", scorecardHelp, runScorecard},
		{"experiment", "report NAME", "a LeadExperiment's arms, figures and verdict from the lead store", experimentHelp, runExperiment},
		{"preview", "-f PROPOSAL …", "replay leads through proposed policies and teams, read-only, next to what happened", previewHelpText(), runPreview},
		{"serve", "", "run the HTTP API standalone", "", runServe},
		{"validate", "PATH…", "check YAML offline as the API server and the controller would", validateHelp, runValidate},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s [connection flags] COMMAND [flags] [ARGS]\n", progName)
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %-18s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nConnection flags (before or after the command):")
	fs := newFlagSet("leadctl", &conn{}, w)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nRun '%s COMMAND --help' for a command's flags.\n", progName)
}

func run(ctx context.Context, args []string, e env) int {
	c := &conn{}
	fs := newFlagSet("leadctl", c, e.stderr)
	// Help asked for goes to stdout with exit 0; a flag error to stderr with exit 2.
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	fs.Usage = func() { usage(&buf) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, _ = io.Copy(e.stdout, &buf)
			return exitOK
		}
		_, _ = io.Copy(e.stderr, &buf)
		return exitUsage
	}
	if fs.NArg() == 0 {
		usage(e.stderr)
		return exitUsage
	}
	name := fs.Arg(0)
	if name == "help" {
		if fs.NArg() > 1 { // "leadctl help list" is "leadctl list --help"
			name, args = fs.Arg(1), []string{"--help"}
		} else {
			usage(e.stdout)
			return exitOK
		}
	} else {
		args = fs.Args()[1:]
	}
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd.run(ctx, e, c, args)
		}
	}
	fmt.Fprintf(e.stderr, "%s: unknown command %q\n\n", progName, name)
	usage(e.stderr)
	return exitUsage
}
