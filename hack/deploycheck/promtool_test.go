package deploycheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	promtoolOnce sync.Once
	promtoolPath string
	promtoolErr  string
)

// promtool finds promtool ($PROMTOOL, PATH) or installs it with hack/install-promtool.sh, which
// `make test` runs first; it fails the test loudly when neither works. The alert tests are not optional.
func promtool(t *testing.T) string {
	t.Helper()
	promtoolOnce.Do(func() {
		if p := os.Getenv("PROMTOOL"); p != "" {
			promtoolPath = p
			return
		}
		if p, err := exec.LookPath("promtool"); err == nil {
			promtoolPath = p
			return
		}
		root, err := repoRoot()
		if err != nil {
			promtoolErr = err.Error()
			return
		}
		cmd := exec.Command(filepath.Join(root, "hack", "install-promtool.sh"))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			promtoolErr = "hack/install-promtool.sh: " + err.Error() + "\n" + stderr.String()
			return
		}
		promtoolPath = strings.TrimSpace(string(out))
	})
	if promtoolPath == "" {
		t.Fatalf("promtool is required for the alert tests and could not be found or installed "+
			"(run `make promtool`, or apt-get install prometheus, or set PROMTOOL): %s", promtoolErr)
	}
	return promtoolPath
}

// TestAlertRules checks the rules file and runs its unit tests (firing and silent cases for every
// alert) with the real Prometheus rule engine.
func TestAlertRules(t *testing.T) {
	bin := promtool(t)
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "config", "prometheus")
	for _, args := range [][]string{
		{"check", "rules", "alerts.rules.yaml"},
		{"test", "rules", filepath.Join("tests", "alerts.test.yaml")},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		} else {
			t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
		}
	}
}

// TestAlertUnitTestsCoverEveryAlert: each alert of the rules file is evaluated in the promtool unit
// tests both with expected alerts and with none.
func TestAlertUnitTestsCoverEveryAlert(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `json:"alert"`
				Expr  string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	readYAML(t, filepath.Join(root, "config", "prometheus", "alerts.rules.yaml"), &rules)
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	readYAML(t, filepath.Join(root, "config", "prometheus", "tests", "alerts.test.yaml"), &tests)
	firing, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			for _, name := range leadopsName.FindAllString(r.Expr, -1) {
				if seriesName(name) == "" {
					t.Errorf("alert %s reads %s, which the manager does not export", r.Alert, name)
				}
			}
			if !firing[r.Alert] || !silent[r.Alert] {
				t.Errorf("alert %s needs a promtool test where it fires and one where it does not (fires: %v, silent: %v)",
					r.Alert, firing[r.Alert], silent[r.Alert])
			}
		}
	}
	if n < 6 {
		t.Errorf("only %d alerts in alerts.rules.yaml", n)
	}
}
