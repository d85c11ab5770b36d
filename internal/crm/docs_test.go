package crm_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadops/leadops/internal/crm"
)

// TestDocsConfigExamplesParse keeps the configuration examples of docs/crm.md valid: every ```yaml
// block whose first line is "# crm-config" must load.
func TestDocsConfigExamplesParse(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "crm.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	var cur *strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```yaml":
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			doc := cur.String()
			cur = nil
			if !strings.HasPrefix(doc, "# crm-config\n") {
				continue
			}
			blocks++
			c, err := crm.Parse([]byte(doc))
			if err != nil {
				t.Errorf("docs/crm.md example %d: %v", blocks, err)
				continue
			}
			if len(c.Connections) == 0 {
				t.Errorf("docs/crm.md example %d has no connection", blocks)
			}
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	if blocks == 0 {
		t.Fatal("docs/crm.md has no ```yaml block marked # crm-config")
	}
}
