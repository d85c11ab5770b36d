package writeback

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/crm"
)

// TestDocsExamplesParse keeps docs/crm-writeback.md's examples valid: the "# crm-config" block loads
// with write-back on for each connection, and the Team block decodes strictly with crmUser set.
func TestDocsExamplesParse(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "crm-writeback.md"))
	if err != nil {
		t.Fatal(err)
	}
	var configs, teams int
	var cur *strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case cur == nil && line == "```yaml":
			cur = &strings.Builder{}
		case cur != nil && line == "```":
			doc := cur.String()
			cur = nil
			switch {
			case strings.HasPrefix(doc, "# crm-config\n"):
				configs++
				c, err := crm.Parse([]byte(doc))
				if err != nil {
					t.Fatalf("crm-config example: %v", err)
				}
				for _, conn := range c.Connections {
					if conn.WriteBack == nil || !conn.WriteBack.Enabled {
						t.Errorf("example connection %s has write-back off", conn.Name)
					}
				}
			case strings.Contains(doc, "kind: Team"):
				teams++
				var team leadopsv1.Team
				if err := yaml.UnmarshalStrict([]byte(doc), &team); err != nil {
					t.Fatalf("Team example: %v", err)
				}
				if len(team.Spec.Members) < 2 || team.Spec.Members[0].CRMUser == "" {
					t.Errorf("Team example members %+v, want crmUser on the first", team.Spec.Members)
				}
			}
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	if configs != 1 || teams != 1 {
		t.Errorf("found %d crm-config and %d Team examples, want 1 each", configs, teams)
	}
}
