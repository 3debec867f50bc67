package main

import (
	"fmt"
	"io"
	"regexp"
	"runtime"
	"runtime/debug"
	"time"
)

// version is set at build time with -ldflags "-X main.version=…" (a release version); without
// it the module version of the build info is printed.
var version = "dev"

// buildInfo is what `eksaccess version` reports, read from the binary's build information.
type buildInfo struct {
	Version  string // -X main.version, else the module version, else "dev"
	Module   string // module path and version, e.g. github.com/eksaccess/eksaccess v0.4.0
	Revision string // VCS revision (vcs.revision, or the pseudo-version's commit); "" if unknown
	Modified bool   // vcs.modified: built from a work tree with uncommitted changes
	Time     string // vcs.time (the revision's commit time, RFC 3339), or the pseudo-version's time
	Go       string // toolchain and platform, e.g. go1.26.8 linux/amd64
}

// pseudoVersion matches the time and commit of a Go pseudo-version, e.g.
// v0.0.0-20261202051000-8b6441cabcde (what `go install …@latest` records without a tag).
var pseudoVersion = regexp.MustCompile(`[-.](\d{14})-([0-9a-f]{12})(\+incompatible)?$`)

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module = bi.Main.Path + " " + bi.Main.Version
	if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	if b.Revision == "" {
		b.Revision, b.Time = fromPseudoVersion(bi.Main.Version)
	}
	return b
}

// fromPseudoVersion returns the commit and time a Go pseudo-version carries: `go install
// …@latest` of an untagged commit builds from the module proxy, without VCS stamps.
func fromPseudoVersion(v string) (revision, when string) {
	m := pseudoVersion.FindStringSubmatch(v)
	if m == nil {
		return "", ""
	}
	t, err := time.Parse("20060102150405", m[1])
	if err != nil {
		return "", ""
	}
	return m[2], t.UTC().Format(time.RFC3339)
}

// printVersion writes `eksaccess version`.
func printVersion(w io.Writer) {
	b := readBuildInfo()
	rev, when := b.Revision, b.Time
	if rev == "" {
		rev = "unknown"
	}
	if b.Modified {
		rev += " (modified)"
	}
	if when == "" {
		when = "unknown"
	}
	fmt.Fprintf(w, "eksaccess %s\nmodule:   %s\nrevision: %s\ntime:     %s (commit time of the revision)\ngo:       %s\n", b.Version, b.Module, rev, when, b.Go)
}
