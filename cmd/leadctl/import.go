package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/leadops/leadops/internal/csvimport"
)

// mappingFlag collects --map, which may repeat.
type mappingFlag struct{ m csvimport.Mapping }

func (f *mappingFlag) String() string { return "" }
func (f *mappingFlag) Set(s string) error {
	return f.m.Parse(s)
}

const importHelp = "Imports every row, or none if any row is bad (unless --skip-invalid). Each bad row is reported\n" +
	"with its line number and column; values are never quoted (they may be personal data)."

func runImport(ctx context.Context, e env, c *conn, args []string) int {
	fs := newFlagSet("import", c, e.stderr)
	mapping := &mappingFlag{m: csvimport.Mapping{}}
	fs.Var(mapping, "map", "map lead fields to CSV columns: `field=Column,…` e.g. email=E-Mail,company=Company Name;\n"+
		"fields: "+strings.Join(csvimport.Fields, ", ")+", attributes.<key>;\n"+
		"columns named like a field (\"External ID\", \"email\") need no mapping")
	dryRun := fs.Bool("dry-run", false, "check the file and report what would be imported; store nothing")
	skipInvalid := fs.Bool("skip-invalid", false, "import the good rows even if some rows are bad (the bad ones are still reported)")
	pos, code, ok := parseCommand(fs, args, e)
	if !ok {
		return code
	}
	path, err := exactlyOne(fs, pos, "CSV file")
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl:", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl import:", err)
		return exitError
	}
	defer f.Close()
	res, err := csvimport.Parse(f, mapping.m)
	if err != nil {
		fmt.Fprintf(e.stderr, "leadctl import: %s: %v\n", path, err)
		return exitError
	}
	for _, p := range res.Problems {
		fmt.Fprintf(e.stderr, "%s: %s\n", path, p)
	}
	good := res.Good()
	badRows := len(res.BadLines())
	total := len(good) + badRows
	if badRows > 0 && !*skipInvalid {
		fmt.Fprintf(e.stderr, "nothing imported: %d of %d rows have problems (fix them, or pass --skip-invalid to import the other %d)\n",
			badRows, total, len(good))
		return exitError
	}
	skipped := ""
	if badRows > 0 {
		skipped = fmt.Sprintf(", skipping %d bad %s", badRows, plural(badRows, "row", "rows"))
	}
	if *dryRun {
		fmt.Fprintf(e.stdout, "dry run: %d %s would be imported%s; nothing was stored\n", len(good), plural(len(good), "lead", "leads"), skipped)
		return exitOK
	}
	if len(good) == 0 {
		fmt.Fprintln(e.stdout, "nothing to import: the file has no data rows")
		return exitOK
	}
	b, err := open(ctx, e, c)
	if err != nil {
		fmt.Fprintln(e.stderr, "leadctl import:", err)
		return exitUsage
	}
	defer b.Close()
	stored := 0
	if err := b.UpsertLeads(ctx, good, func(done int) { stored = done }); err != nil {
		fmt.Fprintf(e.stderr, "leadctl import: stopped after %d of %d leads: %v\n", stored, len(good), err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "imported %d %s%s\n", len(good), plural(len(good), "lead", "leads"), skipped)
	return exitOK
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
