//go:build !unix

package sqlite

import "context"

// lockFile is a no-op where flock does not exist: concurrent first starts on such systems rely on
// SQLite's own locking and may see one Open fail; a retry succeeds.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }
