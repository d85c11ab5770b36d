package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/leadops/leadops/internal/store"
)

// erasePersonalData wipes a lead's personal data and that of its duplicates (docs/privacy.md). The
// actor recorded in the lead's audit is the token's name; the response says what was erased
// (ids and counts), never the data.
func (s *Server) erasePersonalData(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	er, err := s.store.ErasePersonalData(r.Context(), id, actorFrom(r.Context()))
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{status: http.StatusNotFound, msg: fmt.Sprintf("no lead with id %q", id)}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, er)
	return nil
}
