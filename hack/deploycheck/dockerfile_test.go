package deploycheck

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// dockerfile is what the checks need from the Dockerfile.
type dockerfile struct {
	stages []stage
}

type stage struct {
	from, name string
	platform   string     // FROM --platform=…, as written
	args       []string   // ARG names declared in the stage
	copies     [][]string // COPY arguments, flags included
	runs       []string
	user       string
	entrypoint string
}

// parseDockerfile reads the instructions the project's Dockerfile uses (FROM with --platform, ARG,
// COPY, RUN, USER, ENTRYPOINT, WORKDIR), joining continuation lines.
func parseDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	var df dockerfile
	for _, l := range lines {
		instr, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		instr = strings.ToUpper(instr)
		if instr == "FROM" {
			s := stage{}
			fields := strings.Fields(rest)
			for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
				if p, ok := strings.CutPrefix(fields[0], "--platform="); ok {
					s.platform = p
				}
				fields = fields[1:]
			}
			if len(fields) == 0 {
				t.Fatalf("%s: FROM without an image: %s", path, l)
			}
			s.from = fields[0]
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				s.name = fields[2]
			}
			df.stages = append(df.stages, s)
			continue
		}
		if len(df.stages) == 0 {
			t.Fatalf("%s: %s before the first FROM", path, instr)
		}
		s := &df.stages[len(df.stages)-1]
		switch instr {
		case "COPY":
			s.copies = append(s.copies, strings.Fields(rest))
		case "RUN":
			s.runs = append(s.runs, rest)
		case "ARG":
			name, _, _ := strings.Cut(rest, "=")
			s.args = append(s.args, name)
		case "USER":
			s.user = rest
		case "ENTRYPOINT":
			s.entrypoint = rest
		}
	}
	return df
}

// shellWords splits a simple shell command line: whitespace-separated words with single or double
// quotes, no expansions (the Dockerfile's build line needs nothing more).
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				w.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case strings.ContainsRune("$`;&|<>", r):
			t.Fatalf("the build line %q uses shell features this check does not interpret (%q)", s, r)
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// buildLine finds the RUN line of the builder stage that runs `go build`, and splits it into its
// environment assignments and the go command's arguments, with the stage's ARGs ($NAME or ${NAME})
// replaced by their values in argValues; any other variable fails the test.
func buildLine(t *testing.T, s stage, argValues map[string]string) (env []string, args []string) {
	t.Helper()
	for _, run := range s.runs {
		if !strings.Contains(run, "go build") {
			continue
		}
		run = os.Expand(run, func(name string) string {
			v, ok := argValues[name]
			if !ok || !slices.Contains(s.args, name) {
				t.Fatalf("the build line %q uses $%s, which is not an ARG of the %q stage this check knows", run, name, s.name)
			}
			return v
		})
		words := shellWords(t, run)
		i := 0
		for i < len(words) && strings.Contains(words[i], "=") && !strings.HasPrefix(words[i], "-") {
			i++
		}
		if i+1 < len(words) && words[i] == "go" && words[i+1] == "build" {
			return words[:i], words[i+1:]
		}
	}
	t.Fatalf("no `go build` RUN line in the %q stage", s.name)
	return nil, nil
}

// TestDockerfileBuildsAStaticManager checks the Dockerfile without a Docker engine: it is multi-stage
// with a Go builder matching go.mod and a distroless non-root final stage; the builder runs on the
// build platform and cross-compiles for the target one (GOOS=$TARGETOS GOARCH=$TARGETARCH, so a
// multi-platform build needs no emulation); it copies every package the manager imports; and its
// `go build` line, run here with the same flags and environment (the target being this machine's
// linux/GOARCH), produces a statically linked binary for that architecture (no ELF interpreter, no
// dynamic section), which the final stage copies and runs.
func TestDockerfileBuildsAStaticManager(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	df := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	if len(df.stages) < 2 {
		t.Fatalf("want a multi-stage Dockerfile, got %d stage(s)", len(df.stages))
	}
	builder, final := df.stages[0], df.stages[len(df.stages)-1]

	// The Go image matches go.mod's language version.
	goVersion := goModVersion(t, filepath.Join(root, "go.mod"))
	image, tag, _ := strings.Cut(builder.from, ":")
	if image != "golang" && image != "docker.io/library/golang" {
		t.Fatalf("builder stage FROM %s: want a golang image", builder.from)
	}
	if minor := majorMinor(goVersion); !strings.HasPrefix(tag, minor) || (tag != minor && !strings.HasPrefix(tag, minor+".") && !strings.HasPrefix(tag, minor+"-")) {
		t.Errorf("builder stage FROM %s: want Go %s (go.mod says go %s)", builder.from, minor, goVersion)
	}

	// Distroless, non-root, runs what the builder built.
	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") || !strings.HasSuffix(final.from, ":nonroot") {
		t.Errorf("final stage FROM %s: want gcr.io/distroless/static…:nonroot", final.from)
	}
	if final.user == "" || strings.HasPrefix(final.user, "0") || strings.HasPrefix(final.user, "root") {
		t.Errorf("final stage USER %q: want a non-root numeric user such as 65532:65532", final.user)
	}
	// The builder cross-compiles for the platform BuildKit is asked for.
	if builder.platform != "$BUILDPLATFORM" && builder.platform != "${BUILDPLATFORM}" {
		t.Errorf("builder stage FROM --platform=%q: want --platform=$BUILDPLATFORM (build natively, cross-compile for the target)", builder.platform)
	}
	rawEnv, _ := buildLine(t, builder, map[string]string{"TARGETOS": "{TARGETOS}", "TARGETARCH": "{TARGETARCH}"})
	for _, want := range []string{"GOOS={TARGETOS}", "GOARCH={TARGETARCH}"} {
		if !slices.Contains(rawEnv, want) {
			t.Errorf("the build line sets %v: want %s (ARG TARGETOS and TARGETARCH in the builder stage)", rawEnv, strings.NewReplacer("{", "$", "}", "").Replace(want))
		}
	}
	env, args := buildLine(t, builder, map[string]string{"TARGETOS": "linux", "TARGETARCH": runtime.GOARCH})
	output := ""
	for i, a := range args {
		if a == "-o" && i+1 < len(args) {
			output = args[i+1]
		}
	}
	if output == "" {
		t.Fatalf("the build line %v has no -o", args)
	}
	copied := false
	for _, c := range final.copies {
		if len(c) == 3 && c[0] == "--from="+builder.name && filepath.Base(c[1]) == filepath.Base(output) {
			copied = true
		}
	}
	if !copied {
		t.Errorf("the final stage does not COPY --from=%s the built %s", builder.name, output)
	}
	if !strings.Contains(final.entrypoint, "/"+filepath.Base(output)) {
		t.Errorf("ENTRYPOINT %s does not run /%s", final.entrypoint, filepath.Base(output))
	}
	envMap := map[string]string{}
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		envMap[k] = v
	}
	if envMap["CGO_ENABLED"] != "0" {
		t.Errorf("the build line sets CGO_ENABLED=%q: want 0 for a static binary", envMap["CGO_ENABLED"])
	}

	// Every package of the module that the manager imports is copied into the builder.
	checkCopies(t, root, builder, args[len(args)-1])

	// The same build, here.
	out := filepath.Join(t.TempDir(), "manager")
	buildArgs := append([]string(nil), args...)
	for i := range buildArgs {
		if i > 0 && buildArgs[i-1] == "-o" {
			buildArgs[i] = out
		}
	}
	cmd := exec.Command("go", buildArgs...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	if _, ok := envMap["GOARCH"]; !ok {
		cmd.Env = append(cmd.Env, "GOARCH="+runtime.GOARCH)
	}
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s go %s: %v\n%s", strings.Join(env, " "), strings.Join(buildArgs, " "), err, msg)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatalf("the built manager is not an ELF binary: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the manager has an ELF interpreter (PT_INTERP): it is dynamically linked and will not run on distroless/static")
		}
		if p.Type == elf.PT_DYNAMIC {
			t.Error("the manager has a dynamic section (PT_DYNAMIC): it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("the manager imports shared libraries %v", libs)
	}
	if want, ok := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]; ok && f.Machine != want {
		t.Errorf("the manager is built for %v, not the target architecture %s (%v)", f.Machine, runtime.GOARCH, want)
	}
	if strings.Contains(envMap["GOOS"], "linux") || envMap["GOOS"] == "" {
		if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
			t.Errorf("unexpected OS ABI %v", f.OSABI)
		}
	}
}

func goModVersion(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no go directive in go.mod")
	return ""
}

// majorMinor turns 1.26.8 into 1.26.
func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

// checkCopies fails when a Go file the build needs lies outside what the builder stage copies.
func checkCopies(t *testing.T, root string, builder stage, pkg string) {
	t.Helper()
	var sources []string // paths relative to the build context, with a trailing / for directories
	for _, c := range builder.copies {
		var args []string
		for _, a := range c {
			if !strings.HasPrefix(a, "--") {
				args = append(args, a)
			}
		}
		if len(args) < 2 {
			continue
		}
		for _, src := range args[:len(args)-1] {
			src = strings.TrimPrefix(filepath.Clean(src), "./")
			if src == "." {
				src = ""
			}
			if st, err := os.Stat(filepath.Join(root, src)); err == nil && st.IsDir() && src != "" {
				src += "/"
			}
			sources = append(sources, src)
		}
	}
	ignored := dockerignore(t, root)
	covered := func(rel string) bool {
		if pat := ignored(rel); pat != "" {
			t.Errorf(".dockerignore pattern %q keeps %s out of the build context", pat, rel)
			return true // reported once, as excluded
		}
		for _, s := range sources {
			if s == "" || s == rel || (strings.HasSuffix(s, "/") && strings.HasPrefix(rel, s)) {
				return true
			}
			// A wildcard source (*.go) copies the files it matches, not their directories.
			if ok, _ := filepath.Match(s, rel); ok && strings.ContainsAny(s, "*?[") {
				return true
			}
		}
		return false
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if !covered(f) {
			t.Errorf("the builder stage does not COPY %s", f)
		}
	}
	cmd := exec.Command("go", "list", "-deps", "-json=Dir,Module,GoFiles,EmbedFiles", pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	n := 0
	for dec.More() {
		var p struct {
			Dir        string
			Module     *struct{ Main bool }
			GoFiles    []string
			EmbedFiles []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			rel, err := filepath.Rel(root, filepath.Join(p.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			rel = filepath.ToSlash(rel)
			n++
			if !covered(rel) {
				t.Errorf("the manager needs %s, which the Dockerfile's builder stage does not COPY", rel)
			}
		}
	}
	if n == 0 {
		t.Fatal(fmt.Sprintf("go list found no files of the module for %s", pkg))
	}
}

// dockerignore returns a matcher for the simple patterns of .dockerignore (no negations): it reports
// the pattern that excludes a path, or "".
func dockerignore(t *testing.T, root string) func(rel string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if os.IsNotExist(err) {
		return func(string) string { return "" }
	}
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf(".dockerignore: negated pattern %q is not supported by this check", line)
		}
		patterns = append(patterns, line)
	}
	return func(rel string) string {
		parts := strings.Split(rel, "/")
		for _, pat := range patterns {
			p := strings.Trim(filepath.Clean(strings.TrimPrefix(pat, "/")), "/")
			// A pattern excludes a path when it matches the path or any of its leading directories.
			for i := 1; i <= len(parts); i++ {
				if ok, _ := filepath.Match(p, strings.Join(parts[:i], "/")); ok {
					return pat
				}
			}
		}
		return ""
	}
}
