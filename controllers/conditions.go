package controllers

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/fielderr"
)

// maxConditionMessage keeps compiler output readable in `kubectl describe` and well under the API's
// 32768-byte limit on condition messages.
const maxConditionMessage = 4096

// setCondition records a condition for the object's current generation.
func setCondition(conds *[]metav1.Condition, generation int64, condType string, status metav1.ConditionStatus, reason, message string) bool {
	if len(message) > maxConditionMessage {
		message = message[:maxConditionMessage-3] + "..."
	}
	return meta.SetStatusCondition(conds, metav1.Condition{
		Type:               condType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: generation,
	})
}

func setReady(conds *[]metav1.Condition, generation int64, reason, message string) bool {
	return setCondition(conds, generation, leadopsv1.ConditionReady, metav1.ConditionTrue, reason, message)
}

func setNotReady(conds *[]metav1.Condition, generation int64, reason, message string) bool {
	return setCondition(conds, generation, leadopsv1.ConditionReady, metav1.ConditionFalse, reason, message)
}

// specError is a problem in an object's spec that only the controller can see: the field error (its
// path is the field in the object, "spec.rules[0].when") and the Ready condition's reason. Error()
// is the condition's message, "path: message".
type specError struct {
	Reason string
	Field  fielderr.Error
}

func (e *specError) Error() string { return e.Field.Error() }

// fieldSpecError is the spec error on the field at path.
func fieldSpecError(reason, path, format string, args ...any) *specError {
	return &specError{Reason: reason, Field: *fielderr.New(path, format, args...)}
}

// invalidSpec is the spec error of a message formatted with its field path in front ("path: …"), for
// callers whose error text already names the field below the path (an SLA target, a calendar);
// the path is what precedes the first ": ". Prefer fieldSpecError.
func invalidSpec(reason, format string, args ...any) *specError {
	msg := fmt.Sprintf(format, args...)
	if path, rest, ok := strings.Cut(msg, ": "); ok && !strings.ContainsAny(path, " \t\n") {
		return &specError{Reason: reason, Field: fielderr.Error{Path: path, Message: rest}}
	}
	return &specError{Reason: reason, Field: fielderr.Error{Message: msg}}
}
