package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Pagination limits for ListLeads.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// PageSize clamps a requested limit to [1, MaxPageSize], DefaultPageSize when unset.
func PageSize(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return limit
}

// cursor is the position after the last lead of a page: ListLeads orders by (created_at, id).
type cursor struct {
	T  int64  `json:"t"` // created_at in Unix microseconds
	ID string `json:"id"`
}

// EncodeCursor makes the opaque NextCursor that follows the lead created at createdAt with id.
func EncodeCursor(createdAt time.Time, id string) string {
	b, _ := json.Marshal(cursor{T: createdAt.UnixMicro(), ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses a cursor made by EncodeCursor; anything else is ErrBadCursor.
func DecodeCursor(s string) (createdAt time.Time, id string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("%w: not base64url", ErrBadCursor)
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil {
		return time.Time{}, "", fmt.Errorf("%w: not a cursor", ErrBadCursor)
	}
	if _, err := uuid.Parse(c.ID); err != nil || c.T <= 0 {
		return time.Time{}, "", fmt.Errorf("%w: not a cursor", ErrBadCursor)
	}
	return time.UnixMicro(c.T).UTC(), c.ID, nil
}
