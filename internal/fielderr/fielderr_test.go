package fielderr

import (
	"errors"
	"fmt"
	"testing"
)

func TestError(t *testing.T) {
	for _, tc := range []struct {
		err  Error
		want string
	}{
		{Error{Path: "leads[3].email", Message: "is not a valid email address"}, "leads[3].email: is not a valid email address"},
		{Error{Message: "the body is not valid UTF-8"}, "the body is not valid UTF-8"},
		{Error{Path: "email"}.Under("leads[3]"), "leads[3].email: "},
		{Error{Path: "target.value", Message: "must be positive"}.Under("spec"), "spec.target.value: must be positive"},
		{Error{Path: "[2]", Message: "x"}.Under("spec.rules"), "spec.rules[2]: x"},
		{Error{Message: "x"}.Under("spec"), "spec: x"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestInvalidAndAs(t *testing.T) {
	err := fmt.Errorf("apply touch to lead 1: %w", New("reason", "longer than %d bytes", 1000))
	var fe *Error
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Path != "reason" || fe.Message != "longer than 1000 bytes" {
		t.Fatalf("err = %v, want an ErrInvalid *Error on reason", err)
	}
}

func TestList(t *testing.T) {
	var none List
	if none.Err() != nil {
		t.Fatal("empty list is an error")
	}
	l := List{{Path: "a", Message: "x"}, {Message: "y"}}
	if l.Err() == nil || l.Error() != "a: x; y" {
		t.Fatalf("List = %v", l)
	}
}
