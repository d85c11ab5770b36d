package test

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

var typedScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// checkObjects decodes every rendered object of a kind the scheme knows into its Go type, refusing
// unknown or duplicate fields (a misspelt or misplaced key in a template), checks that names are
// valid and unique, and returns the Deployment.
func checkObjects(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	codecs := serializer.NewCodecFactory(typedScheme, serializer.EnableStrict)
	info, _ := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeJSON)
	var dep *appsv1.Deployment
	seen := map[string]bool{}
	for _, u := range objs {
		if seen[id(u)] {
			t.Errorf("%s is rendered twice", id(u))
		}
		seen[id(u)] = true
		if errs := validation.IsDNS1123Subdomain(u.GetName()); len(errs) > 0 {
			t.Errorf("%s: invalid name: %v", id(u), errs)
		}
		if u.GetKind() == "Service" {
			if errs := validation.IsDNS1035Label(u.GetName()); len(errs) > 0 {
				t.Errorf("%s: invalid Service name: %v", id(u), errs)
			}
		}
		gvk := u.GroupVersionKind()
		if !typedScheme.Recognizes(gvk) {
			continue
		}
		j, err := u.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := info.StrictSerializer.Decode(j, &gvk, nil)
		if err != nil {
			t.Errorf("%s: %v", id(u), err)
			continue
		}
		if d, ok := obj.(*appsv1.Deployment); ok {
			dep = d
		}
	}
	if dep == nil {
		t.Fatal("no Deployment rendered")
	}
	return dep
}

func manager(t *testing.T, dep *appsv1.Deployment) corev1.Container {
	t.Helper()
	for _, c := range dep.Spec.Template.Spec.Containers {
		if c.Name == "manager" {
			return c
		}
	}
	t.Fatal("no manager container")
	return corev1.Container{}
}

func envVar(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

func volume(dep *appsv1.Deployment, name string) *corev1.Volume {
	for i, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == name {
			return &dep.Spec.Template.Spec.Volumes[i]
		}
	}
	return nil
}

func mountPath(c corev1.Container, name string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == name {
			return m.MountPath
		}
	}
	return ""
}

func hasArgPrefix(c corev1.Container, prefix string) bool {
	return slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, prefix) })
}

// TestVariantsRender renders the chart with the values docs/helm.md describes and checks what each
// changes in the objects a cluster would get.
func TestVariantsRender(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		objs := mustHelm(t, nil)
		dep := checkObjects(t, objs)
		c := manager(t, dep)
		if *dep.Spec.Replicas != 1 || dep.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("SQLite: want 1 replica and Recreate, got %d and %s", *dep.Spec.Replicas, dep.Spec.Strategy.Type)
		}
		if !slices.Contains(c.Args, "--store=sqlite:///var/lib/leadops/leads.db") || mountPath(c, "data") != "/var/lib/leadops" {
			t.Errorf("SQLite store not on the data volume: args %v", c.Args)
		}
		if c.Image != "leadops/controller:dev" {
			t.Errorf("image %s", c.Image)
		}
		for _, kind := range []string{"PodDisruptionBudget", "ServiceMonitor", "PrometheusRule", "Secret", "ConfigMap"} {
			for _, u := range objs {
				if u.GetKind() == kind {
					t.Errorf("the defaults render %s, which is off by default", id(u))
				}
			}
		}
	})

	t.Run("postgres DSN from an existing Secret", func(t *testing.T) {
		objs := mustHelm(t, map[string]any{
			"store":    map[string]any{"type": "postgres", "dsnSecret": map[string]any{"name": "pg-app", "key": "uri"}},
			"replicas": 3,
		})
		dep := checkObjects(t, objs)
		c := manager(t, dep)
		ref := envVar(c, "LEADOPS_STORE_DSN").ValueFrom.SecretKeyRef
		if ref.Name != "pg-app" || ref.Key != "uri" || ref.Optional == nil || *ref.Optional {
			t.Errorf("LEADOPS_STORE_DSN must come from the required Secret pg-app/uri: %+v", ref)
		}
		if hasArgPrefix(c, "--store=") {
			t.Errorf("postgres still passes --store: %v", c.Args)
		}
		if has(objs, "PersistentVolumeClaim", "leadops-data") || volume(dep, "data") != nil || mountPath(c, "data") != "" {
			t.Error("postgres still renders or mounts the SQLite volume")
		}
		if *dep.Spec.Replicas != 3 || dep.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType ||
			dep.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
			t.Errorf("want 3 replicas rolling with maxUnavailable 0: %d %+v", *dep.Spec.Replicas, dep.Spec.Strategy)
		}
		if !slices.Contains(c.Args, "--leader-elect") || !has(objs, "Role", "leadops-leader-election-role") {
			t.Errorf("replicas > 1 without leader election: args %v", c.Args)
		}
	})

	t.Run("postgres DSN and API tokens in Secrets the chart creates", func(t *testing.T) {
		objs := mustHelm(t, map[string]any{
			"store":    map[string]any{"type": "postgres", "dsnSecret": map[string]any{"create": true, "dsn": "postgres://leadops@db:5432/leadops"}},
			"apiToken": map[string]any{"create": true, "tokens": "ops:0123456789abcdef\n"},
		})
		checkObjects(t, objs)
		dsn := find(t, objs, "Secret", "leadops-store")
		if v, _, _ := unstructured.NestedString(dsn.Object, "stringData", "dsn"); v != "postgres://leadops@db:5432/leadops" {
			t.Errorf("DSN Secret holds %q", v)
		}
		tok := find(t, objs, "Secret", "leadops-api-tokens")
		if v, _, _ := unstructured.NestedString(tok.Object, "stringData", "tokens"); v != "ops:0123456789abcdef\n" {
			t.Errorf("token Secret holds %q", v)
		}
	})

	t.Run("monitoring on with the labels Prometheus selects", func(t *testing.T) {
		objs := mustHelm(t, map[string]any{"monitoring": map[string]any{
			"serviceMonitor": map[string]any{"enabled": true, "labels": map[string]any{"release": "kube-prometheus-stack"}, "interval": "1m"},
			"prometheusRule": map[string]any{"enabled": true, "labels": map[string]any{"release": "kube-prometheus-stack"}},
		}})
		checkObjects(t, objs)
		sm := find(t, objs, "ServiceMonitor", "leadops-controller-manager-metrics-monitor")
		rule := find(t, objs, "PrometheusRule", "leadops-alerts")
		for _, u := range []*unstructured.Unstructured{sm, rule} {
			if u.GetLabels()["release"] != "kube-prometheus-stack" {
				t.Errorf("%s labels %v: want release=kube-prometheus-stack", id(u), u.GetLabels())
			}
		}
		if iv, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints"); iv[0].(map[string]any)["interval"] != "1m" {
			t.Errorf("interval %v", iv[0])
		}
		// The ServiceMonitor selects the metrics Service, and only it.
		sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
		for _, svc := range []string{"leadops-controller-manager-metrics-service", "leadops-api"} {
			s := find(t, objs, "Service", svc)
			if got, want := selects(sel, s.GetLabels()), svc == "leadops-controller-manager-metrics-service"; got != want {
				t.Errorf("ServiceMonitor selects %s: %v, want %v", svc, got, want)
			}
		}
	})

	t.Run("PDB on, two replicas with leader election", func(t *testing.T) {
		objs := mustHelm(t, map[string]any{
			"store": map[string]any{"type": "postgres"}, "replicas": 2, "leaderElection": true,
			"podDisruptionBudget": map[string]any{"enabled": true, "minAvailable": 1},
		})
		dep := checkObjects(t, objs)
		pdb := find(t, objs, "PodDisruptionBudget", "leadops-controller-manager")
		sel, _, _ := unstructured.NestedStringMap(pdb.Object, "spec", "selector", "matchLabels")
		if !selects(sel, dep.Spec.Template.Labels) {
			t.Errorf("the PDB selector %v does not select the manager pods %v", sel, dep.Spec.Template.Labels)
		}
		if !slices.Contains(manager(t, dep).Args, "--leader-elect") {
			t.Error("no --leader-elect")
		}
	})

	t.Run("scheduling knobs", func(t *testing.T) {
		objs := mustHelm(t, map[string]any{
			"nodeSelector":      map[string]any{"kubernetes.io/arch": "arm64"},
			"tolerations":       []any{map[string]any{"key": "dedicated", "operator": "Equal", "value": "ops", "effect": "NoSchedule"}},
			"affinity":          map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{map[string]any{"key": "zone", "operator": "In", "values": []any{"a"}}}}}}}},
			"priorityClassName": "leadops-critical",
			"resources":         map[string]any{"requests": map[string]any{"cpu": "250m", "memory": "256Mi"}, "limits": map[string]any{"memory": "1Gi", "cpu": nil}}, // null drops a default
			"podAnnotations":    map[string]any{"example.com/team": "ops"},
			"podLabels":         map[string]any{"team": "ops"},
			"topologySpreadConstraints": []any{map[string]any{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
				"labelSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "leadops"}}}},
			"image": map[string]any{"repository": "registry.example/leadops", "tag": "v1.2.3", "pullPolicy": "Always"},
		})
		dep := checkObjects(t, objs)
		ps := dep.Spec.Template.Spec
		c := manager(t, dep)
		for _, check := range []struct {
			what string
			ok   bool
		}{
			{"nodeSelector", ps.NodeSelector["kubernetes.io/arch"] == "arm64"},
			{"tolerations", len(ps.Tolerations) == 1 && ps.Tolerations[0].Key == "dedicated"},
			{"affinity", ps.Affinity != nil && ps.Affinity.NodeAffinity != nil},
			{"priorityClassName", ps.PriorityClassName == "leadops-critical"},
			{"topologySpreadConstraints", len(ps.TopologySpreadConstraints) == 1 && ps.TopologySpreadConstraints[0].TopologyKey == "topology.kubernetes.io/zone"},
			{"resources", c.Resources.Requests.Cpu().String() == "250m" && c.Resources.Limits.Memory().String() == "1Gi" && c.Resources.Limits.Cpu().IsZero()},
			{"podAnnotations", dep.Spec.Template.Annotations["example.com/team"] == "ops" && dep.Spec.Template.Annotations["kubectl.kubernetes.io/default-container"] == "manager"},
			{"podLabels", dep.Spec.Template.Labels["team"] == "ops" && selects(dep.Spec.Selector.MatchLabels, dep.Spec.Template.Labels)},
			{"image", c.Image == "registry.example/leadops:v1.2.3" && c.ImagePullPolicy == corev1.PullAlways},
		} {
			if !check.ok {
				t.Errorf("%s not applied to the pod", check.what)
			}
		}
	})

	t.Run("CRM config, webhook and CRM secrets, extra flags", func(t *testing.T) {
		objs := mustHelm(t, map[string]any{
			"crmConfig": map[string]any{"connections": []any{map[string]any{
				"name": "hubspot-main", "crm": "HubSpot", "credentialsDir": "/etc/leadops/crm/hubspot"}}},
			"secretMounts": []any{
				map[string]any{"name": "hubspot", "secretName": "leadops-hubspot", "mountPath": "/etc/leadops/crm/hubspot"},
				map[string]any{"name": "webhook-signing", "secretName": "leadops-webhooks", "mountPath": "/etc/leadops/webhooks",
					"items": []any{map[string]any{"key": "slack", "path": "slack.secret"}}},
			},
			"eventSubscriptions": map[string]any{"subscriptions": []any{map[string]any{
				"name": "warehouse", "urlFile": "/etc/leadops/webhooks/warehouse.url"}}},
			"extraArgs": []any{"--duplicate-attribute=crmContactId"},
			"extraEnv":  []any{map[string]any{"name": "TZ", "value": "UTC"}},
		})
		dep := checkObjects(t, objs)
		c := manager(t, dep)
		cm := find(t, objs, "ConfigMap", "leadops-crm-config")
		if data, _, _ := unstructured.NestedString(cm.Object, "data", "crm.yaml"); !strings.Contains(data, "credentialsDir: /etc/leadops/crm/hubspot") {
			t.Errorf("crm.yaml:\n%s", data)
		}
		if !slices.Contains(c.Args, "--crm-config=/etc/leadops/crm-config/crm.yaml") || mountPath(c, "crm-config") != "/etc/leadops/crm-config" {
			t.Errorf("the CRM config is not passed and mounted: %v", c.Args)
		}
		ev := find(t, objs, "ConfigMap", "leadops-event-subscriptions")
		if data, _, _ := unstructured.NestedString(ev.Object, "data", "subscriptions.yaml"); !strings.Contains(data, "urlFile: /etc/leadops/webhooks/warehouse.url") {
			t.Errorf("subscriptions.yaml:\n%s", data)
		}
		if !slices.Contains(c.Args, "--event-subscriptions=/etc/leadops/event-subscriptions/subscriptions.yaml") || mountPath(c, "event-subscriptions") != "/etc/leadops/event-subscriptions" {
			t.Errorf("the event subscriptions are not passed and mounted: %v", c.Args)
		}
		if v := volume(dep, "hubspot"); v == nil || v.Secret.SecretName != "leadops-hubspot" || mountPath(c, "hubspot") != "/etc/leadops/crm/hubspot" {
			t.Errorf("hubspot credentials not mounted: %+v", v)
		}
		if v := volume(dep, "webhook-signing"); v == nil || len(v.Secret.Items) != 1 || v.Secret.Items[0].Path != "slack.secret" {
			t.Errorf("webhook secret not mounted with its items: %+v", v)
		}
		for _, m := range c.VolumeMounts {
			if m.Name != "data" && m.Name != "tmp" && !m.ReadOnly {
				t.Errorf("secret or config mount %s is writable", m.Name)
			}
		}
		if c.Args[len(c.Args)-1] != "--duplicate-attribute=crmContactId" || envVar(c, "TZ") == nil {
			t.Errorf("extra args/env not appended: %v %v", c.Args, c.Env)
		}
	})

	t.Run("another release name prefixes every name and keeps references whole", func(t *testing.T) {
		objs, err := helmTemplate(t, "prod", "sales-ops", map[string]any{"store": map[string]any{"sqlite": map[string]any{"persistence": map[string]any{"existingClaim": "leads-pv"}}}})
		if err != nil {
			t.Fatal(err)
		}
		dep := checkObjects(t, objs)
		if dep.Name != "prod-leadops-controller-manager" || dep.Namespace != "sales-ops" {
			t.Errorf("Deployment %s/%s", dep.Namespace, dep.Name)
		}
		if has(objs, "PersistentVolumeClaim", "prod-leadops-data") || volume(dep, "data").PersistentVolumeClaim.ClaimName != "leads-pv" {
			t.Error("existingClaim is not used instead of a new claim")
		}
		sa := dep.Spec.Template.Spec.ServiceAccountName
		find(t, objs, "ServiceAccount", sa)
		for _, u := range objs {
			if u.GetKind() != "ClusterRoleBinding" && u.GetKind() != "RoleBinding" {
				continue
			}
			subjects, _, _ := unstructured.NestedSlice(u.Object, "subjects")
			s := subjects[0].(map[string]any)
			if s["name"] != sa || s["namespace"] != "sales-ops" {
				t.Errorf("%s binds %v, not the manager's ServiceAccount sales-ops/%s", id(u), s, sa)
			}
			ref, _, _ := unstructured.NestedString(u.Object, "roleRef", "name")
			kind, _, _ := unstructured.NestedString(u.Object, "roleRef", "kind")
			find(t, objs, kind, ref)
		}
		for _, u := range objs {
			if u.GetKind() == "Service" {
				sel, _, _ := unstructured.NestedStringMap(u.Object, "spec", "selector")
				if !selects(sel, dep.Spec.Template.Labels) {
					t.Errorf("%s does not select the manager pods", id(u))
				}
			}
			if u.GetKind() != "CustomResourceDefinition" && !strings.HasPrefix(u.GetName(), "prod-leadops-") {
				t.Errorf("%s is not prefixed with the release", id(u))
			}
		}
	})
}

// selects reports whether a label selector's matchLabels all hold in labels.
func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestRefusedCombinations: values the schema cannot judge alone are refused by the templates with a
// message that says what to change.
func TestRefusedCombinations(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values map[string]any
		want   string
	}{
		{"two SQLite replicas", map[string]any{"replicas": 2}, "replicas > 1 needs store.type=postgres"},
		{"replicas without leader election", map[string]any{"replicas": 2, "leaderElection": false, "store": map[string]any{"type": "postgres"}}, "needs leaderElection=true"},
		{"token Secret without tokens", map[string]any{"apiToken": map[string]any{"create": true}}, "needs apiToken.tokens"},
		{"DSN Secret without DSN", map[string]any{"store": map[string]any{"type": "postgres", "dsnSecret": map[string]any{"create": true}}}, "needs store.dsnSecret.dsn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := helmTemplate(t, release, namespace, tc.values)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}
