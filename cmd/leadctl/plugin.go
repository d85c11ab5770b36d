package main

import (
	"os"
	"path/filepath"
	"strings"
)

// progName is how the user invoked this binary, for usage text: "leadctl", or "kubectl leads" when it
// is installed as the kubectl plugin kubectl-leads (kubectl runs kubectl-NAME for `kubectl NAME`).
var progName = programName(os.Args[0])

// programName maps argv[0] to the command a user types: kubectl-leads is `kubectl leads`, following
// kubectl's plugin naming (a dash separates words, an underscore stands for a dash in a word).
func programName(argv0 string) string {
	base := strings.TrimSuffix(filepath.Base(argv0), ".exe")
	plugin, ok := strings.CutPrefix(base, "kubectl-")
	if !ok || plugin == "" {
		return "leadctl"
	}
	words := strings.Split(plugin, "-")
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, "_", "-")
	}
	return "kubectl " + strings.Join(words, " ")
}
