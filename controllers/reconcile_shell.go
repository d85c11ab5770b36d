package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/leadops/leadops/internal/policy"
)

// reconcileWithStatus is the shell every reconciler shares: load the object, run the reconcile
// steps, then stamp observedGeneration and patch the status once, whatever the steps returned.
func reconcileWithStatus[T client.Object](ctx context.Context, c client.Client, req ctrl.Request, obj T,
	observe func(T), steps func(context.Context, T) (ctrl.Result, error)) (result ctrl.Result, retErr error) {
	if err := c.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	base := obj.DeepCopyObject().(T)
	defer func() {
		observe(obj)
		if err := c.Status().Patch(ctx, obj, client.MergeFrom(base)); err != nil && !apierrors.IsNotFound(err) {
			kind := obj.GetObjectKind().GroupVersionKind().Kind
			retErr = kerrors.NewAggregate([]error{retErr, fmt.Errorf("patching %s status: %w", kind, err)})
		}
	}()
	return steps(ctx, obj)
}

// markNotReady sets Ready=False from a spec error and emits a Warning Event when that changed it.
func markNotReady(rec events.EventRecorder, obj client.Object, conds *[]metav1.Condition, e *policy.SpecError) {
	if setNotReady(conds, obj.GetGeneration(), e.Reason, e.Error()) && rec != nil {
		rec.Eventf(obj, nil, corev1.EventTypeWarning, e.Reason, "Validate", "%s", e.Error())
	}
}

// requeueAt wakes the reconciler exactly at next (never before it); a zero next needs no wake-up.
func requeueAt(next, now time.Time) ctrl.Result {
	if next.IsZero() {
		return ctrl.Result{}
	}
	return ctrl.Result{RequeueAfter: max(next.Sub(now), time.Millisecond)}
}
