package celenv

import (
	"fmt"

	"github.com/google/cel-go/checker"

	"github.com/leadops/leadops/internal/validate"
)

// leadSizes bounds the size of every value an expression can reach through `lead`, from the limits
// the lead store enforces on the way in, so the cost estimate of an expression is its true worst case
// over any lead the store can hold.
type leadSizes struct{}

// maxOwnerLength bounds an owner: a member's name, or a Team's manager, which may be a 253-byte
// DNS subdomain.
const maxOwnerLength = 253

// stringFieldMax is the longest value of each string field of the lead.
var stringFieldMax = map[string]uint64{
	"id": validate.MaxIDLength, "externalId": validate.MaxIDLength, "email": validate.MaxEmailLength,
	"company": validate.MaxShortText, "domain": validate.MaxDomainLength, "country": validate.MaxShortText,
	"industry": validate.MaxShortText, "source": validate.MaxShortText, "campaign": validate.MaxShortText,
	"stage": validate.MaxShortText, "owner": maxOwnerLength, "team": 2 * validate.MaxShortText,
}

func (leadSizes) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	path := n.Path()
	if len(path) < 2 || path[0] != "lead" {
		return nil
	}
	switch {
	case len(path) == 2 && path[1] == "attributes":
		return &checker.SizeEstimate{Min: 0, Max: validate.MaxAttributes}
	case len(path) == 2:
		if max, ok := stringFieldMax[path[1]]; ok {
			return &checker.SizeEstimate{Min: 0, Max: max}
		}
	case path[1] == "attributes":
		// Any value under the attributes, a string or a list, fits in their JSON size limit.
		return &checker.SizeEstimate{Min: 0, Max: validate.MaxAttributeJSON}
	}
	return nil
}

func (leadSizes) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// CostError is a compile-time refusal: the expression's worst-case cost over a lead exceeds the limit
// every evaluation runs under, so it would fail at run time on some leads.
type CostError struct{ Max uint64 }

func (e *CostError) Error() string {
	worst := fmt.Sprintf("%d", e.Max)
	if e.Max >= 1<<60 {
		worst = "an unbounded amount"
	}
	return fmt.Sprintf("the expression may cost %s per lead, over the limit of %d: simplify it "+
		"(nested comprehensions, or comprehensions over lists of unknown size such as lists.range(), cost the product of their sizes)",
		worst, CostLimit)
}
