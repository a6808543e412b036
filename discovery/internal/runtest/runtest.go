// Package runtest runs discovery agents and linkers over directories the way
// the discover command does (one collector per file, merged only when the
// file reads without error; linkers in phase order), for tests of agents
// that do not want to depend on the runner.
package runtest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
)

// Result is what a run found.
type Result struct {
	C      *discovery.Collector
	Errors []*discovery.FileError
	Files  map[string]int // agent → files read
}

// Run walks roots (files or directories; symlinks are not followed) and
// runs agents then linkers. Paths in evidence are relative to rel (when
// not empty) with forward slashes.
func Run(ctx context.Context, env, rel string, roots []string, agents []discovery.Agent, linkers []discovery.Linker) (*Result, error) {
	res := &Result{C: discovery.NewCollector(env), Files: map[string]int{}}
	var paths []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.Type().IsRegular() {
				paths = append(paths, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		abs, _ := filepath.Abs(p)
		shown := p
		if rel != "" {
			if r, err := filepath.Rel(rel, abs); err == nil && !strings.HasPrefix(r, "..") {
				shown = r
			}
		}
		f := &discovery.File{Path: filepath.ToSlash(shown), Abs: abs, Data: data}
		for _, a := range agents {
			if !a.Detect(f) {
				continue
			}
			one := discovery.NewCollector(env)
			if err := a.Read(ctx, f, one); err != nil {
				var fe *discovery.FileError
				if !errors.As(err, &fe) {
					fe = &discovery.FileError{File: f.Path, Msg: err.Error(), Err: err}
				}
				res.Errors = append(res.Errors, fe)
				continue
			}
			res.Files[a.Name()]++
			res.C.Merge(one)
		}
	}
	ls := append([]discovery.Linker(nil), linkers...)
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].Phase() < ls[j].Phase() })
	for _, l := range ls {
		if err := l.Link(ctx, res.C); err != nil {
			return nil, err
		}
	}
	return res, nil
}
