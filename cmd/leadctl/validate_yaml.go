package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"
)

// A yamlDoc is one document of a YAML stream: its text, the line of the stream it starts on, and its
// node tree (lines in the tree are the stream's).
type yamlDoc struct {
	file  string
	line  int      // line of the stream on which the document's text starts (1-based)
	raw   []byte   // the document's text
	lines []string // the stream's lines, shared by its documents, for columns inside scalars
	root  *yaml.Node
}

// splitDocuments splits a YAML stream as kubectl does (k8s.io/apimachinery's YAMLReader): a line that
// starts with "---", followed by nothing but blanks or a comment, separates documents. Documents with
// nothing but blanks and comments are dropped.
func splitDocuments(file string, data []byte) ([]*yamlDoc, error) {
	lines := strings.Split(string(data), "\n")
	var docs []*yamlDoc
	start := 1
	var buf bytes.Buffer
	flush := func() {
		if hasContent(buf.String()) {
			docs = append(docs, &yamlDoc{file: file, line: start, raw: append([]byte(nil), buf.Bytes()...), lines: lines})
		}
		buf.Reset()
	}
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "---"); ok {
			if t := strings.TrimSpace(rest); t != "" && !strings.HasPrefix(t, "#") {
				return nil, fmt.Errorf("%s:%d:1: invalid YAML document separator: %s", file, i+1, t)
			}
			flush()
			start = i + 2
			continue
		}
		buf.WriteString(l)
		if i < len(lines)-1 {
			buf.WriteByte('\n')
		}
	}
	flush()
	return docs, nil
}

func hasContent(doc string) bool {
	for _, l := range strings.Split(doc, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

// yamlErrLine matches the line number in yaml's error messages ("yaml: line 3: …").
var yamlErrLine = regexp.MustCompile(`line (\d+)`)

// parse reads the document's node tree, shifting its lines to the stream's, and returns the object as
// kubectl sends it: YAML converted to JSON by sigs.k8s.io/yaml (YAML 1.1 scalars, as kubectl reads
// them), decoded as the API server decodes JSON. problems are syntax errors with their positions.
func (d *yamlDoc) parse() (*unstructured.Unstructured, []diagnostic) {
	var n yaml.Node
	if err := yaml.Unmarshal(d.raw, &n); err != nil {
		line := d.line
		msg := err.Error()
		if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
			rel, _ := strconv.Atoi(m[1])
			line = d.line + rel - 1
			msg = strings.Replace(msg, m[0], "line "+strconv.Itoa(line), 1)
		}
		return nil, []diagnostic{{File: d.file, Line: line, Column: 1, Severity: sevError, Check: checkSyntax, Message: msg}}
	}
	shiftLines(&n, d.line-1)
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		d.root = n.Content[0]
	} else {
		d.root = &n
	}
	if probs := duplicateKeys(d.file, d.root); len(probs) > 0 {
		return nil, probs
	}
	js, err := sigsyaml.YAMLToJSON(d.raw)
	if err != nil {
		return nil, []diagnostic{d.at(d.root, sevError, checkSyntax, err.Error())}
	}
	if d.root.Kind != yaml.MappingNode {
		return nil, []diagnostic{d.at(d.root, sevError, checkSyntax, "not a Kubernetes object: the document is not a mapping")}
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		return nil, []diagnostic{d.at(d.root, sevError, checkSyntax, "not a Kubernetes object: "+err.Error())}
	}
	return u, nil
}

func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// duplicateKeys reports a key given twice in one mapping: JSON would keep the last silently.
func duplicateKeys(file string, n *yaml.Node) []diagnostic {
	var out []diagnostic
	if n.Kind == yaml.MappingNode {
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if first, dup := seen[k.Value]; dup && k.Kind == yaml.ScalarNode {
				out = append(out, diagnostic{File: file, Line: k.Line, Column: k.Column, Severity: sevError, Check: checkSyntax,
					Message: fmt.Sprintf("mapping key %q already defined at line %d", k.Value, first.Line)})
			}
			seen[k.Value] = k
		}
	}
	for _, c := range n.Content {
		out = append(out, duplicateKeys(file, c)...)
	}
	return out
}

// at is a diagnostic at node n.
func (d *yamlDoc) at(n *yaml.Node, sev, check, msg string) diagnostic {
	return diagnostic{File: d.file, Line: n.Line, Column: n.Column, Severity: sev, Check: check, Message: msg}
}

// pathSegment is one step of a field path: a field name, or an index or map key in brackets.
type pathSegment struct {
	name    string
	index   int
	isIndex bool
}

// parseFieldPath splits a Kubernetes field path ("spec.rules[1].when", "metadata.labels[app.io/x]").
func parseFieldPath(p string) []pathSegment {
	var segs []pathSegment
	for p != "" {
		switch p[0] {
		case '.':
			p = p[1:]
		case '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return segs
			}
			key := p[1:end]
			if i, err := strconv.Atoi(key); err == nil {
				segs = append(segs, pathSegment{index: i, isIndex: true})
			} else {
				segs = append(segs, pathSegment{name: key})
			}
			p = p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			segs = append(segs, pathSegment{name: p[:end]})
			p = p[end:]
		}
	}
	return segs
}

// locate finds the node of a field path: the key of a mapping entry, the item of a sequence. A path
// that leads past what the document has (a missing required field) stops at the deepest node that
// exists, so the position is where the field belongs. value is the entry's value node, when found.
func (d *yamlDoc) locate(path string) (at, value *yaml.Node) {
	at, value = d.root, d.root
	if path == "" || path == "<nil>" {
		return firstKey(d.root), d.root
	}
	for _, s := range parseFieldPath(path) {
		switch {
		case s.isIndex && value.Kind == yaml.SequenceNode && s.index < len(value.Content):
			at, value = value.Content[s.index], value.Content[s.index]
		case !s.isIndex && value.Kind == yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(value.Content); i += 2 {
				if value.Content[i].Value == s.name {
					at, value, found = value.Content[i], value.Content[i+1], true
					break
				}
			}
			if !found {
				return at, nil
			}
		default:
			return at, nil
		}
	}
	return at, value
}

func firstKey(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.MappingNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	return n
}

// fieldDiag is a diagnostic at the node of a field path.
func (d *yamlDoc) fieldDiag(path, sev, check, msg string) diagnostic {
	at, _ := d.locate(path)
	diag := d.at(at, sev, check, msg)
	diag.Field = path
	return diag
}

// celErrPos matches the position of a CEL compile error: "ERROR: <input>:1:5: …".
var celErrPos = regexp.MustCompile(`<input>:(\d+):(\d+):`)

// exprDiag is a diagnostic of a CEL expression's compile error, placed on the expression's own
// line and column when the error names one and the scalar's text can be mapped back (plain or quoted
// on one line, or a literal block "|"), else on the field.
func (d *yamlDoc) exprDiag(path, sev, check, msg string) diagnostic {
	diag := d.fieldDiag(path, sev, check, msg)
	_, v := d.locate(path)
	m := celErrPos.FindStringSubmatch(msg)
	if v == nil || v.Kind != yaml.ScalarNode || m == nil {
		return diag
	}
	celLine, _ := strconv.Atoi(m[1])
	celCol, _ := strconv.Atoi(m[2])
	if line, col, ok := d.scalarPosition(v, celLine, celCol); ok {
		diag.Line, diag.Column = line, col
	}
	return diag
}

// scalarPosition maps a (1-based) line and column inside a scalar's value to the stream's.
func (d *yamlDoc) scalarPosition(v *yaml.Node, line, col int) (int, int, bool) {
	text := func(l int) (string, bool) {
		if l < 1 || l > len(d.lines) {
			return "", false
		}
		return strings.TrimRight(d.lines[l-1], "\r"), true
	}
	switch v.Style {
	case 0, yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		src, ok := text(v.Line)
		quote := 0
		if v.Style != 0 {
			quote = 1
		}
		start := v.Column - 1 + quote
		if !ok || line != 1 || strings.Contains(v.Value, "\n") || start > len(src) || !strings.HasPrefix(src[start:], v.Value) {
			return 0, 0, false
		}
		return v.Line, v.Column + quote + col - 1, true
	case yaml.LiteralStyle:
		// The block's indentation is its first content line's (without an indentation indicator).
		first, ok := text(v.Line + 1)
		src, ok2 := text(v.Line + line)
		if !ok || !ok2 {
			return 0, 0, false
		}
		indent := len(first) - len(strings.TrimLeft(first, " "))
		want := strings.Split(v.Value, "\n")
		if line > len(want) || indent > len(src) || !strings.HasPrefix(src[indent:], want[line-1]) {
			return 0, 0, false
		}
		return v.Line + line, indent + col, true
	}
	return 0, 0, false
}
