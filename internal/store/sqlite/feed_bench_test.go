package sqlite

import (
	"testing"

	"github.com/leadops/leadops/internal/lead"
	"github.com/leadops/leadops/internal/store/storetest"
)

// BenchmarkFeedRead reads a feed of 20,000 events from the start in pages of 1,000, all of them and
// filtered by a type none has (the bounded scans of a rare type).
func BenchmarkFeedRead(b *testing.B) {
	b.Run("all", func(b *testing.B) { storetest.BenchFeed(b, openTemp(b), 20000, nil) })
	b.Run("types=breached", func(b *testing.B) { storetest.BenchFeed(b, openTemp(b), 20000, []string{lead.EventBreached}) })
}
