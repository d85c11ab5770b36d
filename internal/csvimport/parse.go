package csvimport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/leadops/leadops/internal/fielderr"
	"github.com/leadops/leadops/internal/store"
	"github.com/leadops/leadops/internal/validate"
)

// Row is one data row that became a lead input.
type Row struct {
	Line int // 1-based line in the file where the row starts
	Lead store.LeadInput
}

// Problem is one reason a row cannot be imported.
type Problem struct {
	Line    int
	Column  string // the CSV header, when the problem is with one cell
	Field   string // the lead field, when the problem is with one cell
	Message string
}

func (p Problem) String() string {
	switch {
	case p.Column != "":
		return fmt.Sprintf("line %d: column %q (%s) %s", p.Line, p.Column, p.Field, p.Message)
	case p.Field != "":
		return fmt.Sprintf("line %d: %s %s", p.Line, p.Field, p.Message)
	default:
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
}

// Result is a parsed file: the rows, and every problem found, ordered by line.
type Result struct {
	Rows     []Row
	Problems []Problem
}

// BadLines returns the lines that have at least one problem.
func (r *Result) BadLines() map[int]bool {
	bad := map[int]bool{}
	for _, p := range r.Problems {
		bad[p.Line] = true
	}
	return bad
}

// Good returns the inputs of the rows without problems, in file order.
func (r *Result) Good() []store.LeadInput {
	bad := r.BadLines()
	var out []store.LeadInput
	for _, row := range r.Rows {
		if !bad[row.Line] {
			out = append(out, row.Lead)
		}
	}
	return out
}

// MaxRows bounds one file; larger exports should be split (the import is meant for people, not ETL).
const MaxRows = 1_000_000

// Parse reads a CSV file whose first row is the header. It returns an error only when the file as a
// whole cannot be read (no header, a mapping that names a missing column); problems with single rows are
// collected in Result.Problems so that the user sees all of them at once.
func Parse(rd io.Reader, m Mapping) (*Result, error) {
	cr := csv.NewReader(rd)
	cr.FieldsPerRecord = -1 // a short or long row is reported as a row problem, not a file error
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty; expected a header row")
	}
	if err != nil {
		return nil, fmt.Errorf("read the header row: %w", err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff") // Excel writes a byte-order mark
	if m == nil {
		m = Mapping{}
	}
	for field := range m {
		if err := checkField(field); err != nil {
			return nil, err
		}
	}
	cols, err := m.resolve(header)
	if err != nil {
		return nil, err
	}

	res := &Result{}
	for n := 0; ; n++ {
		if n >= MaxRows {
			return nil, fmt.Errorf("the file has more than %d rows; split it", MaxRows)
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			res.Problems = append(res.Problems, Problem{Line: pe.StartLine, Message: "is not valid CSV: " + pe.Err.Error()})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read the file: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			res.Problems = append(res.Problems, Problem{Line: line,
				Message: fmt.Sprintf("has %d columns, the header has %d", len(rec), len(header))})
			continue
		}
		in, problems := convert(rec, header, cols, line)
		res.Problems = append(res.Problems, problems...)
		res.Rows = append(res.Rows, Row{Line: line, Lead: in})
	}

	// One validation for the whole file, with the API's rules; "rows[i].field" maps back to a line.
	inputs := make([]store.LeadInput, len(res.Rows))
	for i, row := range res.Rows {
		inputs[i] = row.Lead
	}
	// The same ingest normalization as the API (validate.NormalizeLeads): rows are stored as
	// normalized, with what the file said kept in each lead's Original.
	normalized, errs := validate.NormalizeLeads("rows", inputs)
	for i := range res.Rows {
		res.Rows[i].Lead = normalized[i]
	}
	for _, fe := range errs {
		res.Problems = append(res.Problems, res.problemFor(fe, cols, header))
	}
	sort.SliceStable(res.Problems, func(i, j int) bool { return res.Problems[i].Line < res.Problems[j].Line })
	return res, nil
}

var (
	rowPath = regexp.MustCompile(`^rows\[(\d+)\]\.?(.*)$`)
	rowRef  = regexp.MustCompile(`rows\[(\d+)\]`)
)

// problemFor turns a validation error on rows[i].field into a problem on the row's line and column.
func (r *Result) problemFor(fe fielderr.Error, cols map[string]int, header []string) Problem {
	mm := rowPath.FindStringSubmatch(fe.Path)
	if mm == nil {
		return Problem{Message: fe.Error()}
	}
	i, _ := strconv.Atoi(mm[1])
	p := Problem{Line: r.Rows[i].Line, Field: mm[2], Message: fe.Message}
	if ci, ok := cols[p.Field]; ok {
		p.Column = header[ci]
	}
	// "repeats the external id of rows[3]" reads better as a line number.
	if m := rowRef.FindStringSubmatch(p.Message); m != nil {
		j, _ := strconv.Atoi(m[1])
		p.Message = strings.Replace(p.Message, m[0], fmt.Sprintf("line %d", r.Rows[j].Line), 1)
	}
	return p
}

// convert fills a lead input from one record; numbers that do not parse are problems.
func convert(rec, header []string, cols map[string]int, line int) (store.LeadInput, []Problem) {
	var in store.LeadInput
	var problems []Problem
	cell := func(field string) string {
		if i, ok := cols[field]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	number := func(field string) int64 {
		v := cell(field)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			problems = append(problems, Problem{Line: line, Column: header[cols[field]], Field: field, Message: "is not a whole number"})
		}
		return n
	}
	in.ExternalID = cell("externalId")
	in.Email = cell("email")
	in.Name = cell("name")
	in.Company = cell("company")
	in.Domain = cell("domain")
	in.Country = cell("country")
	in.Phone = cell("phone")
	in.Industry = cell("industry")
	in.Employees = number("employees")
	in.Source = cell("source")
	in.Campaign = cell("campaign")
	in.Score = number("score")
	for field, i := range cols {
		key, ok := strings.CutPrefix(field, attributePrefix)
		if !ok {
			continue
		}
		if v := strings.TrimSpace(rec[i]); v != "" {
			if in.Attributes == nil {
				in.Attributes = map[string]any{}
			}
			in.Attributes[key] = v
		}
	}
	return in, problems
}
