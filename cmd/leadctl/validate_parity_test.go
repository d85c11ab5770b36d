package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/testutil/kubeenv"
)

// admissionTable is controllers/testdata/admission.yaml, the objects the envtest admission test
// proves the API server refuses (controllers/admission_test.go reads the same file).
type admissionTable struct {
	Bases map[string]string `json:"bases"`
	Cases []struct {
		Name, Base, Old, New, Want string
	} `json:"cases"`
}

func readAdmissionTable(t *testing.T) admissionTable {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "controllers", "testdata", "admission.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var table admissionTable
	if err := yaml.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Cases) < 20 {
		t.Fatalf("%d admission cases: the table is broken", len(table.Cases))
	}
	return table
}

// schemaMessages validates one document offline and returns what the API server would say of it: the
// unknown fields (strict decoding) and the Invalid causes, "path: message" each, sorted.
func schemaMessages(t *testing.T, namespace, doc string) (unknown, invalid []string) {
	t.Helper()
	at, _ := time.Parse(time.RFC3339, validateAt)
	rep, err := validateInputs(context.Background(), []input{{name: "case.yaml", data: []byte(doc)}},
		validateOptions{namespace: namespace, at: at, window: 24 * time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Diagnostics {
		switch d.Check {
		case checkStrict:
			unknown = append(unknown, d.Message)
		case checkSchema, checkSyntax:
			invalid = append(invalid, d.Message)
		}
	}
	sort.Strings(unknown)
	sort.Strings(invalid)
	return unknown, invalid
}

// apiServerMessages creates obj as `kubectl create` does (strict field validation) and returns the
// API server's refusal in the same form as schemaMessages.
func apiServerMessages(t *testing.T, c client.Client, namespace, doc string) (unknown, invalid []string, accepted bool) {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
		t.Fatal(err)
	}
	if obj.GetNamespace() == "" {
		obj.SetNamespace(namespace)
	}
	err := c.Create(context.Background(), obj, client.FieldValidation(metav1.FieldValidationStrict))
	if err == nil {
		return nil, nil, true
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		t.Fatalf("creating: %v", err)
	}
	st := status.Status()
	switch {
	case apierrors.IsInvalid(err):
		for _, cause := range st.Details.Causes {
			invalid = append(invalid, cause.Field+": "+cause.Message)
		}
	case apierrors.IsBadRequest(err) && strings.Contains(st.Message, "strict decoding error"):
		_, list, _ := strings.Cut(st.Message, "strict decoding error: ")
		for _, u := range strings.Split(list, ", ") {
			unknown = append(unknown, u)
		}
	default:
		t.Fatalf("unexpected refusal: %v", err)
	}
	sort.Strings(unknown)
	sort.Strings(invalid)
	return unknown, invalid, false
}

// TestValidateAdmissionParity starts a real kube-apiserver with the CRDs and proves that validate
// refuses what it refuses, with the same messages, and accepts what it accepts:
//   - every case of the envtest admission table: validate's messages contain the case's want, and are
//     exactly the API server's (every cause, "path: message");
//   - every document of the schema and CEL-rule files of testdata/validate/bad: the same, including
//     unknown fields, which the API server refuses under kubectl's strict field validation;
//   - the table's bases and every sample in config/samples: accepted by both.
//
// And --cluster: a teamRef that the files do not define resolves against the cluster's Teams.
func TestValidateAdmissionParity(t *testing.T) {
	assets, err := kubeenv.Assets()
	if err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting kube-apiserver and etcd from %s: %v", assets, err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	scheme := runtime.NewScheme()
	if err := leadopsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	newNS := func(t *testing.T, name string) string {
		t.Helper()
		ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
		if err := c.Create(context.Background(), ns); err != nil {
			t.Fatal(err)
		}
		return name
	}

	compare := func(t *testing.T, ns, doc, want string) {
		t.Helper()
		gotUnknown, gotInvalid := schemaMessages(t, ns, doc)
		apiUnknown, apiInvalid, accepted := apiServerMessages(t, c, ns, doc)
		if accepted {
			if len(gotUnknown)+len(gotInvalid) > 0 {
				t.Fatalf("the API server accepts the object; validate refuses it:\n  %s", strings.Join(append(gotUnknown, gotInvalid...), "\n  "))
			}
			return
		}
		if len(apiUnknown) > 0 {
			// Strict decoding fails before validation: only the unknown fields are reported.
			if !slices.Equal(gotUnknown, apiUnknown) {
				t.Fatalf("unknown fields:\n  validate:   %q\n  API server: %q", gotUnknown, apiUnknown)
			}
			return
		}
		if !slices.Equal(gotInvalid, apiInvalid) || len(gotUnknown) > 0 {
			t.Fatalf("validate says:\n  %s\nthe API server says:\n  %s", strings.Join(append(gotUnknown, gotInvalid...), "\n  "), strings.Join(apiInvalid, "\n  "))
		}
		if want != "" && !strings.Contains(strings.Join(gotInvalid, "\n"), want) {
			t.Fatalf("validate's messages do not contain %q:\n  %s", want, strings.Join(gotInvalid, "\n  "))
		}
	}

	t.Run("admission table", func(t *testing.T) {
		table := readAdmissionTable(t)
		ns := newNS(t, "parity-table")
		for _, tc := range table.Cases {
			t.Run(tc.Name, func(t *testing.T) {
				doc := strings.Replace(table.Bases[tc.Base], tc.Old, tc.New, 1)
				if doc == table.Bases[tc.Base] {
					t.Fatalf("the case changes nothing")
				}
				if _, invalid := schemaMessages(t, ns, doc); len(invalid) == 0 {
					t.Fatalf("validate accepts the object; want a refusal containing %q", tc.Want)
				}
				compare(t, ns, doc, tc.Want)
			})
		}
		for _, name := range []string{"team", "policy", "goal"} {
			compare(t, newNS(t, "parity-base-"+name), table.Bases[name], "")
		}
	})

	t.Run("bad files", func(t *testing.T) {
		files, _ := filepath.Glob(filepath.Join("testdata", "validate", "bad", "schema_*.yaml"))
		more, _ := filepath.Glob(filepath.Join("testdata", "validate", "bad", "cel_*.yaml"))
		files = append(files, more...)
		if len(files) < 8 {
			t.Fatalf("%d schema and CEL-rule files", len(files))
		}
		refused, docNum := 0, 0
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs, err := splitDocuments(f, raw)
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range docs {
				// A namespace per document: the valid ones (a file's Team) are created.
				docNum++
				ns := newNS(t, fmt.Sprintf("parity-file-%d", docNum))
				t.Run(fmt.Sprintf("%s#%d", filepath.Base(f), i+1), func(t *testing.T) {
					if _, invalid := schemaMessages(t, ns, string(d.raw)); len(invalid) > 0 {
						refused++
					}
					compare(t, ns, string(d.raw), "")
				})
			}
		}
		if refused < len(files) {
			t.Errorf("%d objects refused in %d files: each file has at least one", refused, len(files))
		}
	})

	t.Run("samples", func(t *testing.T) {
		ns := newNS(t, "parity-samples")
		files, _ := filepath.Glob(filepath.Join("..", "..", "config", "samples", "leadops_*.yaml"))
		if len(files) < 6 {
			t.Fatalf("%d samples", len(files))
		}
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(filepath.Base(f), func(t *testing.T) { compare(t, ns, string(raw), "") })
		}
	})

	t.Run("--cluster", func(t *testing.T) {
		ns := newNS(t, "parity-cluster")
		raw, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "leadops_v1alpha1_team_sdr.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, accepted := apiServerMessages(t, c, ns, string(raw)); !accepted {
			t.Fatal("the sample team was refused")
		}
		user, err := env.ControlPlane.AddUser(envtest.User{Name: "leadctl", Groups: []string{"system:masters"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		kubeconfig, err := user.KubeConfig()
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		write(t, filepath.Join(dir, "kubeconfig"), string(kubeconfig))
		policy := filepath.Join(dir, "policy.yaml")
		write(t, policy, `apiVersion: leadops.io/v1alpha1
kind: LeadPolicy
metadata:
  name: inbound
spec:
  rules:
    - {name: sdr, when: "lead.score > 50", teamRef: {name: sdr}}
    - {name: nobody, teamRef: {name: nobody}}
`)
		// Without --cluster, neither team is known.
		code, stdout, _ := leadctlIn(t, "", nil, "validate", "--namespace", ns, "--at", validateAt, policy)
		if code != exitError || strings.Count(stdout, "does not exist") != 2 {
			t.Fatalf("without --cluster: exit %d\n%s", code, stdout)
		}
		// With it, sdr is found in the cluster and only nobody is missing.
		code, stdout, stderr := leadctlIn(t, "", map[string]string{"KUBECONFIG": filepath.Join(dir, "kubeconfig")},
			"validate", "--cluster", "--namespace", ns, "--at", validateAt, policy)
		want := policy + `:8:22: error: spec.rules[1].teamRef: Team "nobody" does not exist in namespace "parity-cluster"; create it or fix the reference` + "\n"
		if code != exitError || stdout != want {
			t.Fatalf("with --cluster: exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, stdout, want, stderr)
		}
		// A cluster that cannot be reached is reported, at the reference.
		unreachable := regexp.MustCompile(`server: .*`).ReplaceAllString(string(kubeconfig), "server: https://127.0.0.1:1")
		write(t, filepath.Join(dir, "unreachable"), unreachable)
		code, stdout, _ = leadctlIn(t, "", nil, "validate", "--cluster", "--kubeconfig", filepath.Join(dir, "unreachable"),
			"--namespace", ns, "--at", validateAt, policy)
		if code != exitError || !strings.Contains(stdout, `looking up Team "sdr" in namespace "parity-cluster" in the cluster`) {
			t.Fatalf("unreachable cluster: exit %d\n%s", code, stdout)
		}
	})
}
