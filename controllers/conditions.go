package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
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
