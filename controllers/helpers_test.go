package controllers

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

var nsCounter atomic.Int64

// newNamespace creates a namespace for one test, so tests never see each other's objects.
func newNamespace(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d-%s", nsCounter.Add(1), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), ns) })
	return name
}

// decode parses one YAML document into an unstructured object in namespace ns.
func decode(t testing.TB, ns, doc string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
		t.Fatalf("test YAML does not parse: %v\n%s", err, doc)
	}
	obj.SetNamespace(ns)
	return obj
}

// create sends one YAML document to the API server as a user's `kubectl create` would.
func create(t testing.TB, ns, doc string) error {
	t.Helper()
	return k8sClient.Create(context.Background(), decode(t, ns, doc))
}

func mustCreate(t testing.TB, ns, doc string) {
	t.Helper()
	if err := create(t, ns, doc); err != nil {
		t.Fatalf("creating object: %v\n%s", err, doc)
	}
}

// condition fetches obj and returns its condition of type condType (nil when absent).
func condition(g Gomega, obj client.Object, condType string) *metav1.Condition {
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
	var conds []metav1.Condition
	switch o := obj.(type) {
	case interface{ GetConditions() []metav1.Condition }:
		conds = o.GetConditions()
	default:
		g.Expect(fmt.Errorf("%T has no conditions", obj)).NotTo(HaveOccurred())
	}
	return meta.FindStatusCondition(conds, condType)
}

// eventuallyCondition waits until obj's condition has the status and reason and returns it.
func eventuallyCondition(t testing.TB, obj client.Object, condType string, status metav1.ConditionStatus, reason string) *metav1.Condition {
	t.Helper()
	var got *metav1.Condition
	NewWithT(t).Eventually(func(g Gomega) {
		got = condition(g, obj, condType)
		g.Expect(got).NotTo(BeNil(), "condition %s not set yet", condType)
		g.Expect(got.Status).To(Equal(status), "condition %s: %s", condType, got.Message)
		g.Expect(got.Reason).To(Equal(reason), "condition %s: %s", condType, got.Message)
		g.Expect(got.ObservedGeneration).To(Equal(obj.GetGeneration()))
	}).WithTimeout(20 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
	return got
}
