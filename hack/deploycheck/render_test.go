package deploycheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	leadopsv1alpha1 "github.com/leadops/leadops/api/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// kustomizations lists every directory under config/ that holds a kustomization.yaml, relative to root.
func kustomizations(t *testing.T, root string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(filepath.Join(root, "config"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "kustomization.yaml" {
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(dirs)
	return dirs
}

// render builds one kustomization with the kustomize library (what `kubectl apply -k` runs) and returns
// its objects.
func render(t *testing.T, root, dir string) []*unstructured.Unstructured {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(root, dir))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatalf("%s: %s: %v", dir, r.CurId(), err)
		}
		j, err := yaml.YAMLToJSON(y)
		if err != nil {
			t.Fatalf("%s: %s: %v", dir, r.CurId(), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(j); err != nil {
			t.Fatalf("%s: %s does not decode: %v", dir, r.CurId(), err)
		}
		objs = append(objs, u)
	}
	return objs
}

var typedScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		leadopsv1alpha1.AddToScheme, appsv1.AddToScheme, corev1.AddToScheme, rbacv1.AddToScheme, policyv1.AddToScheme, apiextensionsv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// decodeStrict decodes an object into its typed Go struct, refusing unknown or duplicate fields, when
// the scheme knows its kind (apps/v1, core/v1, rbac/v1, policy/v1, CRDs and the leadops kinds); it
// returns nil for kinds without a Go type here (ServiceMonitor, PrometheusRule).
func decodeStrict(u *unstructured.Unstructured) (runtime.Object, error) {
	gvk := u.GroupVersionKind()
	if !typedScheme.Recognizes(gvk) {
		return nil, nil
	}
	j, err := u.MarshalJSON()
	if err != nil {
		return nil, err
	}
	codecs := serializer.NewCodecFactory(typedScheme, serializer.EnableStrict)
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeJSON)
	if !ok {
		return nil, fmt.Errorf("no JSON serializer")
	}
	obj, _, err := info.StrictSerializer.Decode(j, &gvk, nil)
	return obj, err
}

func TestEveryKustomizationRenders(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dirs := kustomizations(t, root)
	for _, want := range []string{"config/default", "config/crd", "config/rbac", "config/manager", "config/samples",
		"config/prometheus", "config/kube-state-metrics", "config/grafana", "config/postgres", "config/tls"} {
		if !slices.Contains(dirs, want) {
			t.Errorf("kustomization %s is missing (found %v)", want, dirs)
		}
	}
	for _, dir := range dirs {
		t.Run(strings.TrimPrefix(dir, "config/"), func(t *testing.T) {
			objs := render(t, root, dir)
			if len(objs) == 0 {
				t.Fatalf("%s renders no objects", dir)
			}
			seen := map[string]bool{}
			for _, u := range objs {
				id := fmt.Sprintf("%s %s/%s", u.GroupVersionKind(), u.GetNamespace(), u.GetName())
				if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
					t.Errorf("%s: object without apiVersion, kind or name: %s", dir, id)
				}
				if seen[id] {
					t.Errorf("%s: %s appears twice", dir, id)
				}
				seen[id] = true
				if errs := validation.IsDNS1123Subdomain(u.GetName()); len(errs) > 0 && u.GetKind() != "ClusterRole" {
					t.Errorf("%s: %s: name: %v", dir, id, errs)
				}
				if _, err := decodeStrict(u); err != nil {
					t.Errorf("%s: %s does not decode into its Go type: %v", dir, id, err)
				}
			}
		})
	}
}

// objectsByKind renders dir and indexes the objects by kind and name.
func objectsByKind(t *testing.T, dir string) map[string]map[string]*unstructured.Unstructured {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]*unstructured.Unstructured{}
	for _, u := range render(t, root, dir) {
		if out[u.GetKind()] == nil {
			out[u.GetKind()] = map[string]*unstructured.Unstructured{}
		}
		out[u.GetKind()][u.GetName()] = u
	}
	return out
}

func typed[T runtime.Object](t *testing.T, u *unstructured.Unstructured) T {
	t.Helper()
	obj, err := decodeStrict(u)
	if err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
	v, ok := obj.(T)
	if !ok {
		t.Fatalf("%s %s decodes to %T", u.GetKind(), u.GetName(), obj)
	}
	return v
}

const ns = "leadops-system"

func TestDefaultDeploysEverything(t *testing.T) {
	objs := objectsByKind(t, "config/default")

	if objs["Namespace"][ns] == nil {
		t.Errorf("no Namespace %s (have %v)", ns, keys(objs["Namespace"]))
	}
	for _, crd := range []string{"teams.leadops.io", "leadpolicies.leadops.io", "teamgoals.leadops.io"} {
		if objs["CustomResourceDefinition"][crd] == nil {
			t.Errorf("CRD %s missing", crd)
		}
	}
	for kind, byName := range objs {
		for name, u := range byName {
			namespaced := !slices.Contains([]string{"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}, kind)
			if namespaced && u.GetNamespace() != ns {
				t.Errorf("%s %s is in namespace %q, want %s", kind, name, u.GetNamespace(), ns)
			}
			if kind != "CustomResourceDefinition" && !strings.HasPrefix(name, "leadops-") {
				t.Errorf("%s %s lacks the leadops- prefix", kind, name)
			}
		}
	}

	u := objs["Deployment"]["leadops-controller-manager"]
	if u == nil {
		t.Fatalf("no Deployment leadops-controller-manager (have %v)", keys(objs["Deployment"]))
	}
	dep := typed[*appsv1.Deployment](t, u)
	checkHardened(t, dep)
	pod := dep.Spec.Template.Spec
	c := pod.Containers[0]
	for _, arg := range []string{"--leader-elect", "--health-probe-bind-address=:8081", "--metrics-bind-address=:8443",
		"--api-bind-address=:8082", "--store=sqlite:///var/lib/leadops/leads.db", "--api-token-file=/etc/leadops/tokens/tokens"} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("manager args %v lack %s", c.Args, arg)
		}
	}
	env := envByName(c.Env)
	if ref := env["LEADOPS_STORE_DSN"].ValueFrom; ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "leadops-store" ||
		ref.SecretKeyRef.Key != "dsn" || ref.SecretKeyRef.Optional == nil || !*ref.SecretKeyRef.Optional {
		t.Errorf("LEADOPS_STORE_DSN should come from the optional Secret leadops-store key dsn: %+v", env["LEADOPS_STORE_DSN"])
	}
	mounts := mountsByPath(c.VolumeMounts)
	vols := volumesByName(pod.Volumes)
	data, ok := mounts["/var/lib/leadops"]
	if !ok || data.ReadOnly {
		t.Errorf("no writable volume at /var/lib/leadops for the SQLite store: %+v", c.VolumeMounts)
	} else if v := vols[data.Name]; v.PersistentVolumeClaim == nil {
		t.Errorf("/var/lib/leadops is not a PVC: %+v", v)
	} else if pvc := objs["PersistentVolumeClaim"][v.PersistentVolumeClaim.ClaimName]; pvc == nil {
		t.Errorf("PVC %s is not part of config/default", v.PersistentVolumeClaim.ClaimName)
	} else if *dep.Spec.Replicas != 1 || dep.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("a ReadWriteOnce SQLite volume needs 1 replica and the Recreate strategy, have %d, %s", *dep.Spec.Replicas, dep.Spec.Strategy.Type)
	}
	tokens, ok := mounts["/etc/leadops/tokens"]
	if !ok || !tokens.ReadOnly || vols[tokens.Name].Secret == nil || vols[tokens.Name].Secret.SecretName != "leadops-api-tokens" {
		t.Errorf("the API tokens should be mounted read-only from Secret leadops-api-tokens at /etc/leadops/tokens: %+v %+v", tokens, vols[tokens.Name])
	}
	if _, ok := mounts["/tmp"]; !ok {
		t.Errorf("no writable /tmp beside the read-only root filesystem")
	}

	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["api"] != 8082 || ports["metrics"] != 8443 || ports["health"] != 8081 {
		t.Errorf("container ports %v, want api 8082, metrics 8443, health 8081", ports)
	}
	checkService(t, objs, "leadops-api", 8082, "api", dep)
	checkService(t, objs, "leadops-controller-manager-metrics-service", 8443, "metrics", dep)

	checkRBAC(t, objs, dep)
}

func checkHardened(t *testing.T, dep *appsv1.Deployment) {
	t.Helper()
	pod := dep.Spec.Template.Spec
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod must run as non-root with the RuntimeDefault seccomp profile: %+v", dep.Name, psc)
	}
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		t.Errorf("%s: pod shares a host namespace", dep.Name)
	}
	if len(pod.Containers) != 1 || pod.Containers[0].Name != "manager" {
		t.Fatalf("%s: want one container named manager, have %d", dep.Name, len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: root filesystem must be read-only", dep.Name)
	}
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation must be false", dep.Name)
	}
	if sc == nil || sc.Privileged != nil && *sc.Privileged {
		t.Errorf("%s: container must not be privileged", dep.Name)
	}
	if sc == nil || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("%s: container must drop ALL capabilities and add none", dep.Name)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
		if req.IsZero() || lim.IsZero() {
			t.Errorf("%s: %s needs a request and a limit: %+v", dep.Name, r, c.Resources)
		} else if req.Cmp(lim) > 0 {
			t.Errorf("%s: %s request %s above limit %s", dep.Name, r, req.String(), lim.String())
		}
	}
	probe := func(name string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path {
			t.Errorf("%s: %s probe should GET %s: %+v", dep.Name, name, path, p)
			return
		}
		port := p.HTTPGet.Port.IntValue()
		if port == 0 {
			for _, cp := range c.Ports {
				if cp.Name == p.HTTPGet.Port.String() {
					port = int(cp.ContainerPort)
				}
			}
		}
		if port != 8081 {
			t.Errorf("%s: %s probe on port %s, want 8081", dep.Name, name, p.HTTPGet.Port.String())
		}
	}
	probe("liveness", c.LivenessProbe, "/healthz")
	probe("readiness", c.ReadinessProbe, "/readyz")
	if c.Image == "" || strings.HasSuffix(c.Image, ":latest") {
		t.Errorf("%s: image %q should be pinned by kustomize", dep.Name, c.Image)
	}
}

func checkService(t *testing.T, objs map[string]map[string]*unstructured.Unstructured, name string, port int32, target string, dep *appsv1.Deployment) {
	t.Helper()
	u := objs["Service"][name]
	if u == nil {
		t.Errorf("no Service %s (have %v)", name, keys(objs["Service"]))
		return
	}
	svc := typed[*corev1.Service](t, u)
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != port || svc.Spec.Ports[0].TargetPort.String() != target {
		t.Errorf("Service %s ports %+v, want %d -> %s", name, svc.Spec.Ports, port, target)
	}
	for k, v := range svc.Spec.Selector {
		if dep.Spec.Template.Labels[k] != v {
			t.Errorf("Service %s selects %s=%s, which the manager pods do not carry", name, k, v)
		}
	}
	if len(svc.Spec.Selector) == 0 {
		t.Errorf("Service %s selects nothing", name)
	}
}

// checkRBAC: the manager's ServiceAccount is bound to everything config/rbac/role.yaml grants, to
// leader election in its namespace and to the metrics endpoint's authn/authz; nothing grants wildcards,
// and no hand-written role grants Secrets.
func checkRBAC(t *testing.T, objs map[string]map[string]*unstructured.Unstructured, dep *appsv1.Deployment) {
	t.Helper()
	sa := dep.Spec.Template.Spec.ServiceAccountName
	if objs["ServiceAccount"][sa] == nil {
		t.Fatalf("Deployment runs as ServiceAccount %q, which is not deployed (have %v)", sa, keys(objs["ServiceAccount"]))
	}
	// Rules granted to the manager's ServiceAccount, through cluster-wide and namespaced bindings.
	var clusterRules, nsRules []rbacv1.PolicyRule
	boundTo := func(subjects []rbacv1.Subject) bool {
		for _, s := range subjects {
			if s.Kind == "ServiceAccount" && s.Name == sa && s.Namespace == ns {
				return true
			}
		}
		return false
	}
	for _, u := range objs["ClusterRoleBinding"] {
		b := typed[*rbacv1.ClusterRoleBinding](t, u)
		if !boundTo(b.Subjects) {
			continue
		}
		r := objs["ClusterRole"][b.RoleRef.Name]
		if r == nil {
			t.Errorf("ClusterRoleBinding %s refers to missing ClusterRole %s", b.Name, b.RoleRef.Name)
			continue
		}
		clusterRules = append(clusterRules, typed[*rbacv1.ClusterRole](t, r).Rules...)
	}
	for _, u := range objs["RoleBinding"] {
		b := typed[*rbacv1.RoleBinding](t, u)
		if !boundTo(b.Subjects) {
			continue
		}
		if b.RoleRef.Kind != "Role" || objs["Role"][b.RoleRef.Name] == nil {
			t.Errorf("RoleBinding %s refers to missing Role %s", b.Name, b.RoleRef.Name)
			continue
		}
		nsRules = append(nsRules, typed[*rbacv1.Role](t, objs["Role"][b.RoleRef.Name]).Rules...)
	}

	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var generated rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(bytes.TrimPrefix(raw, []byte("---\n")), &generated); err != nil {
		t.Fatalf("config/rbac/role.yaml: %v", err)
	}
	if len(generated.Rules) == 0 {
		t.Fatalf("config/rbac/role.yaml grants nothing")
	}
	for _, rule := range generated.Rules {
		for _, g := range rule.APIGroups {
			for _, res := range rule.Resources {
				for _, v := range rule.Verbs {
					if !allows(clusterRules, g, res, v) {
						t.Errorf("the manager cannot %s %s.%s cluster-wide, which config/rbac/role.yaml grants", v, res, g)
					}
				}
			}
		}
	}
	for _, need := range [][3]string{
		{"coordination.k8s.io", "leases", "create"}, {"coordination.k8s.io", "leases", "update"}, {"coordination.k8s.io", "leases", "get"},
		{"", "events", "create"},
	} {
		if !allows(nsRules, need[0], need[1], need[2]) {
			t.Errorf("leader election: the manager cannot %s %s.%s in %s", need[2], need[1], need[0], ns)
		}
	}
	for _, need := range [][3]string{
		{"authentication.k8s.io", "tokenreviews", "create"}, {"authorization.k8s.io", "subjectaccessreviews", "create"},
	} {
		if !allows(clusterRules, need[0], need[1], need[2]) {
			t.Errorf("secure metrics: the manager cannot %s %s.%s", need[2], need[1], need[0])
		}
	}
	reader := objs["ClusterRole"]["leadops-metrics-reader"]
	if reader == nil {
		t.Errorf("no ClusterRole leadops-metrics-reader for Prometheus")
	} else {
		rules := typed[*rbacv1.ClusterRole](t, reader).Rules
		if len(rules) != 1 || !slices.Equal(rules[0].NonResourceURLs, []string{"/metrics"}) || !slices.Equal(rules[0].Verbs, []string{"get"}) {
			t.Errorf("leadops-metrics-reader should grant exactly get on /metrics: %+v", rules)
		}
	}
	for _, kind := range []string{"ClusterRole", "Role"} {
		for name, u := range objs[kind] {
			rules, _, _ := unstructured.NestedSlice(u.Object, "rules")
			for _, r := range rules {
				j, _ := json.Marshal(r)
				var rule rbacv1.PolicyRule
				_ = json.Unmarshal(j, &rule)
				if slices.Contains(rule.Verbs, "*") || slices.Contains(rule.Resources, "*") || slices.Contains(rule.APIGroups, "*") {
					t.Errorf("%s %s grants a wildcard: %+v", kind, name, rule)
				}
				// The generated manager role is reviewed with the reconcilers' markers; hand-written roles
				// never need Secrets.
				if slices.Contains(rule.Resources, "secrets") && name != "leadops-manager-role" {
					t.Errorf("%s %s grants access to Secrets: %+v", kind, name, rule)
				}
			}
		}
	}
}

func allows(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}

func TestPostgresOverlay(t *testing.T) {
	objs := objectsByKind(t, "config/postgres")
	if len(objs["PersistentVolumeClaim"]) != 0 {
		t.Errorf("config/postgres still deploys the SQLite volume %v", keys(objs["PersistentVolumeClaim"]))
	}
	dep := typed[*appsv1.Deployment](t, objs["Deployment"]["leadops-controller-manager"])
	checkHardened(t, dep)
	c := dep.Spec.Template.Spec.Containers[0]
	for _, a := range c.Args {
		if strings.HasPrefix(a, "--store") {
			t.Errorf("config/postgres passes %s, which would override LEADOPS_STORE_DSN", a)
		}
	}
	ref := envByName(c.Env)["LEADOPS_STORE_DSN"].ValueFrom
	if ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "leadops-store" || ref.SecretKeyRef.Optional == nil || *ref.SecretKeyRef.Optional {
		t.Errorf("config/postgres must take LEADOPS_STORE_DSN from the required Secret leadops-store: %+v", ref)
	}
	if *dep.Spec.Replicas < 2 || !slices.Contains(c.Args, "--leader-elect") {
		t.Errorf("config/postgres should run 2+ replicas with leader election, has %d", *dep.Spec.Replicas)
	}
	vols := volumesByName(dep.Spec.Template.Spec.Volumes)
	for _, m := range c.VolumeMounts {
		if _, ok := vols[m.Name]; !ok {
			t.Errorf("mount %s has no volume", m.Name)
		}
	}
	pdb := objs["PodDisruptionBudget"]["leadops-controller-manager"]
	if pdb == nil {
		t.Fatalf("config/postgres has no PodDisruptionBudget")
	}
	sel := typed[*policyv1.PodDisruptionBudget](t, pdb).Spec.Selector
	for k, v := range sel.MatchLabels {
		if dep.Spec.Template.Labels[k] != v {
			t.Errorf("the PodDisruptionBudget selects %s=%s, which the pods do not carry", k, v)
		}
	}
}

func TestPrometheusOverlay(t *testing.T) {
	objs := objectsByKind(t, "config/prometheus")
	def := objectsByKind(t, "config/default")
	sm := objs["ServiceMonitor"]["leadops-controller-manager-metrics-monitor"]
	if sm == nil || sm.GetAPIVersion() != "monitoring.coreos.com/v1" {
		t.Fatalf("no monitoring.coreos.com/v1 ServiceMonitor leadops-controller-manager-metrics-monitor: %v", keys(objs["ServiceMonitor"]))
	}
	if sm.GetNamespace() != ns {
		t.Errorf("ServiceMonitor in %q, want %s beside the Service", sm.GetNamespace(), ns)
	}
	sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	var matched []string
	for name, svc := range def["Service"] {
		labels := svc.GetLabels()
		ok := len(sel) > 0
		for k, v := range sel {
			ok = ok && labels[k] == v
		}
		if ok {
			matched = append(matched, name)
		}
	}
	if !slices.Equal(matched, []string{"leadops-controller-manager-metrics-service"}) {
		t.Errorf("the ServiceMonitor selects Services %v, want only the metrics Service", matched)
	}
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(eps) != 1 {
		t.Fatalf("ServiceMonitor endpoints: %v", eps)
	}
	ep := eps[0].(map[string]any)
	if ep["port"] != "https" || ep["scheme"] != "https" || ep["path"] != "/metrics" || ep["honorLabels"] != true || ep["bearerTokenFile"] == nil {
		t.Errorf("ServiceMonitor endpoint should scrape port https over HTTPS at /metrics with a bearer token and honorLabels: %v", ep)
	}
	svc := typed[*corev1.Service](t, def["Service"]["leadops-controller-manager-metrics-service"])
	if svc.Spec.Ports[0].Name != ep["port"] {
		t.Errorf("ServiceMonitor port %v is not the Service's port name %s", ep["port"], svc.Spec.Ports[0].Name)
	}

	pr := objs["PrometheusRule"]["leadops-alerts"]
	if pr == nil || pr.GetAPIVersion() != "monitoring.coreos.com/v1" || pr.GetNamespace() != ns {
		t.Fatalf("no monitoring.coreos.com/v1 PrometheusRule leadops-alerts in %s: %v", ns, keys(objs["PrometheusRule"]))
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "config", "prometheus", "alerts.rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var plain map[string]any
	if err := yaml.Unmarshal(raw, &plain); err != nil {
		t.Fatal(err)
	}
	groups, _, _ := unstructured.NestedSlice(pr.Object, "spec", "groups")
	if !reflect.DeepEqual(any(groups), plain["groups"]) {
		t.Errorf("config/prometheus/prometheus_rule.yaml and alerts.rules.yaml carry different rules: keep them equal")
	}
	checkAlertGroups(t, groups)
}

// checkAlertGroups: each alert has a severity, a summary, a description and a runbook_url into
// docs/runbooks.md whose anchor exists; all the required alerts are there.
func checkAlertGroups(t *testing.T, groups []any) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	runbook, err := os.ReadFile(filepath.Join(root, "docs", "runbooks.md"))
	if err != nil {
		t.Fatalf("docs/runbooks.md: %v", err)
	}
	anchors := markdownAnchors(string(runbook))
	var alerts []string
	for _, g := range groups {
		rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, r := range rules {
			rule := r.(map[string]any)
			name, _ := rule["alert"].(string)
			if name == "" {
				continue
			}
			alerts = append(alerts, name)
			labels, _, _ := unstructured.NestedStringMap(rule, "labels")
			if !slices.Contains([]string{"critical", "warning", "info"}, labels["severity"]) {
				t.Errorf("%s: severity %q", name, labels["severity"])
			}
			ann, _, _ := unstructured.NestedStringMap(rule, "annotations")
			if ann["summary"] == "" || ann["description"] == "" {
				t.Errorf("%s: needs summary and description annotations", name)
			}
			const base = "https://github.com/leadops/leadops/blob/main/docs/runbooks.md#"
			url := ann["runbook_url"]
			if !strings.HasPrefix(url, base) {
				t.Errorf("%s: runbook_url %q does not point into docs/runbooks.md", name, url)
			} else if anchor := strings.TrimPrefix(url, base); anchor != strings.ToLower(name) || !anchors[anchor] {
				t.Errorf("%s: runbook_url anchor %q should be %q and a heading in docs/runbooks.md", name, anchor, strings.ToLower(name))
			}
		}
	}
	for _, want := range []string{"LeadopsSLABreached", "LeadopsSLAAtRisk", "LeadopsGoalAtRisk", "LeadopsTeamOverCapacity",
		"LeadopsControllerAbsent", "LeadopsStoreUnavailable", "LeadopsCRMWriteBackFailing", "LeadopsEventSubscriptionDisabled",
		"LeadopsEventDeliveryLagging"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("alert %s missing (have %v)", want, alerts)
		}
	}
}

// markdownAnchors returns the GitHub anchors of a Markdown document's headings.
func markdownAnchors(doc string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		var b strings.Builder
		for _, r := range h {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		out[b.String()] = true
	}
	return out
}

func TestKubeStateMetricsOverlay(t *testing.T) {
	objs := objectsByKind(t, "config/kube-state-metrics")
	cm := objs["ConfigMap"]["leadops-ksm-custom-resource-state"]
	if cm == nil {
		t.Fatalf("no ConfigMap leadops-ksm-custom-resource-state: %v", keys(objs["ConfigMap"]))
	}
	cfg := typed[*corev1.ConfigMap](t, cm).Data["config.yaml"]
	var doc struct {
		Kind string `json:"kind"`
		Spec struct {
			Resources []struct {
				GroupVersionKind struct{ Group, Version, Kind string } `json:"groupVersionKind"`
				ResourcePlural   string                                `json:"resourcePlural"`
				MetricNamePrefix *string                               `json:"metricNamePrefix"`
				LabelsFromPath   map[string][]string                   `json:"labelsFromPath"`
				Metrics          []struct {
					Name string `json:"name"`
					Help string `json:"help"`
					Each struct {
						Type     string         `json:"type"`
						Gauge    map[string]any `json:"gauge"`
						StateSet *struct {
							Path           []string            `json:"path"`
							LabelsFromPath map[string][]string `json:"labelsFromPath"`
							LabelName      string              `json:"labelName"`
							ValueFrom      []string            `json:"valueFrom"`
							List           []string            `json:"list"`
						} `json:"stateSet"`
						Info map[string]any `json:"info"`
					} `json:"each"`
				} `json:"metrics"`
			} `json:"resources"`
		} `json:"spec"`
	}
	if err := yaml.UnmarshalStrict([]byte(cfg), &doc); err != nil {
		t.Fatalf("KSM config does not parse: %v", err)
	}
	if doc.Kind != "CustomResourceStateMetrics" {
		t.Errorf("KSM config kind %q", doc.Kind)
	}
	var kinds []string
	for _, r := range doc.Spec.Resources {
		gvk := r.GroupVersionKind
		kinds = append(kinds, gvk.Kind)
		if gvk.Group != "leadops.io" || gvk.Version != "v1alpha1" {
			t.Errorf("%s: group/version %s/%s", gvk.Kind, gvk.Group, gvk.Version)
		}
		if r.MetricNamePrefix == nil || *r.MetricNamePrefix != "kube_customresource" {
			t.Errorf("%s: metricNamePrefix should be kube_customresource (KSM's default changed across versions)", gvk.Kind)
		}
		if !slices.Equal(r.LabelsFromPath["namespace"], []string{"metadata", "namespace"}) || !slices.Equal(r.LabelsFromPath["name"], []string{"metadata", "name"}) {
			t.Errorf("%s: namespace and name labels missing: %v", gvk.Kind, r.LabelsFromPath)
		}
		conditions := 0
		for _, m := range r.Metrics {
			if m.Help == "" {
				t.Errorf("%s: metric %s has no help", gvk.Kind, m.Name)
			}
			if s := m.Each.StateSet; m.Each.Type == "StateSet" && s != nil && slices.Equal(s.Path, []string{"status", "conditions"}) {
				conditions++
				if s.LabelName != "status" || !slices.Equal(s.ValueFrom, []string{"status"}) ||
					!slices.Equal(s.List, []string{"True", "False", "Unknown"}) ||
					!slices.Equal(s.LabelsFromPath["type"], []string{"type"}) || !slices.Equal(s.LabelsFromPath["reason"], []string{"reason"}) {
					t.Errorf("%s: condition metric %s should carry type, status and reason: %+v", gvk.Kind, m.Name, s)
				}
			}
		}
		if conditions != 1 {
			t.Errorf("%s: %d condition metrics, want 1 exporting every condition", gvk.Kind, conditions)
		}
	}
	sort.Strings(kinds)
	if !slices.Equal(kinds, []string{"LeadExperiment", "LeadPolicy", "Team", "TeamGoal"}) {
		t.Errorf("KSM config covers %v, want Team, LeadPolicy, TeamGoal, LeadExperiment", kinds)
	}
	role := objs["ClusterRole"]["leadops-ksm-reader"]
	if role == nil {
		t.Fatalf("no ClusterRole leadops-ksm-reader")
	}
	for _, res := range []string{"teams", "leadpolicies", "teamgoals", "leadexperiments"} {
		for _, v := range []string{"list", "watch"} {
			if !allows(typed[*rbacv1.ClusterRole](t, role).Rules, "leadops.io", res, v) {
				t.Errorf("leadops-ksm-reader cannot %s %s", v, res)
			}
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func envByName(env []corev1.EnvVar) map[string]corev1.EnvVar {
	out := map[string]corev1.EnvVar{}
	for _, e := range env {
		out[e.Name] = e
	}
	return out
}

func mountsByPath(ms []corev1.VolumeMount) map[string]corev1.VolumeMount {
	out := map[string]corev1.VolumeMount{}
	for _, m := range ms {
		out[m.MountPath] = m
	}
	return out
}

func volumesByName(vs []corev1.Volume) map[string]corev1.Volume {
	out := map[string]corev1.Volume{}
	for _, v := range vs {
		out[v.Name] = v
	}
	return out
}

// TestTLSOverlay: config/tls has cert-manager issue the API's certificate into a Secret, mounts that
// Secret, and passes its files to the manager's --api-tls-cert/--api-tls-key; the certificate names the
// API Service.
func TestTLSOverlay(t *testing.T) {
	objs := objectsByKind(t, "config/tls")
	cert := objs["Certificate"]["leadops-api-tls"]
	if cert == nil {
		t.Fatalf("config/tls has no Certificate leadops-api-tls: %v", keys(objs["Certificate"]))
	}
	if cert.GetAPIVersion() != "cert-manager.io/v1" || cert.GetNamespace() != ns {
		t.Errorf("Certificate %s in %q", cert.GetAPIVersion(), cert.GetNamespace())
	}
	secretName, _, _ := unstructured.NestedString(cert.Object, "spec", "secretName")
	issuer, _, _ := unstructured.NestedString(cert.Object, "spec", "issuerRef", "name")
	dnsNames, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
	if issuer == "" {
		t.Error("the Certificate references no issuer")
	}
	svc := typed[*corev1.Service](t, objs["Service"]["leadops-api"])
	if want := svc.Name + "." + ns + ".svc"; !slices.Contains(dnsNames, want) {
		t.Errorf("the certificate's names %v lack the Service's %s", dnsNames, want)
	}
	dep := typed[*appsv1.Deployment](t, objs["Deployment"]["leadops-controller-manager"])
	checkHardened(t, dep)
	c := dep.Spec.Template.Spec.Containers[0]
	var mountPath string
	for name, v := range volumesByName(dep.Spec.Template.Spec.Volumes) {
		if v.Secret != nil && v.Secret.SecretName == secretName {
			for _, m := range c.VolumeMounts {
				if m.Name == name && m.ReadOnly {
					mountPath = m.MountPath
				}
			}
		}
	}
	if mountPath == "" {
		t.Fatalf("the Secret %s is not mounted read-only into the manager", secretName)
	}
	for _, arg := range []string{"--api-tls-cert=" + mountPath + "/tls.crt", "--api-tls-key=" + mountPath + "/tls.key",
		"--api-token-file=/etc/leadops/tokens/tokens"} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("manager args %v lack %s", c.Args, arg)
		}
	}
}
