package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// GetConditions returns the Team's status conditions.
func (t *Team) GetConditions() []metav1.Condition { return t.Status.Conditions }

// GetConditions returns the LeadPolicy's status conditions.
func (p *LeadPolicy) GetConditions() []metav1.Condition { return p.Status.Conditions }

// GetConditions returns the TeamGoal's status conditions.
func (g *TeamGoal) GetConditions() []metav1.Condition { return g.Status.Conditions }

// GetConditions returns the LeadExperiment's status conditions.
func (x *LeadExperiment) GetConditions() []metav1.Condition { return x.Status.Conditions }
