package discovery

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/riskgraph/riskgraph/graph"
)

// Options configure a Run.
type Options struct {
	Env string // environment of what is found (--env)
	// Scope is the batch scope key; when empty it is the env and the
	// absolute paths walked, so that rediscovering the same folders sweeps
	// only what they used to contain.
	Scope string
	Run   graph.RunID

	Agents    []Agent
	DirAgents []DirAgent
	Linkers   []Linker

	// Values are Helm values files the user named (--values), in order.
	Values []string

	MaxFileSize int64 // DefaultMaxFileSize when zero
	Workers     int   // GOMAXPROCS when zero

	// Progress, when set, is called after each file or directory with the
	// number done and the total. It is called from several goroutines.
	Progress func(done, total int)
}

// Report is what a run found and what it could not read.
type Report struct {
	Scope graph.Scope `json:"scope"`
	// FilesRead counts the files and directories each agent read without
	// error, by agent name.
	FilesRead map[string]int `json:"filesRead"`
	// Files is the number of files walked; Unrecognized of those no agent
	// read.
	Files        int            `json:"files"`
	Unrecognized int            `json:"unrecognized"`
	Skipped      []Skip         `json:"skipped,omitempty"`
	Errors       []*FileError   `json:"errors,omitempty"`
	NodesByKind  map[string]int `json:"nodesByKind"`
	EdgesByKind  map[string]int `json:"edgesByKind"`
	Dangling     []graph.Edge   `json:"dangling,omitempty"`
	Batch        graph.Batch    `json:"-"`
	Collector    *Collector     `json:"-"`
}

type valuesKey struct{}

// ValuesFiles returns the Helm values files of the run ctx belongs to.
func ValuesFiles(ctx context.Context) []string {
	v, _ := ctx.Value(valuesKey{}).([]string)
	return v
}

// WithValuesFiles returns ctx carrying Helm values files for DirAgents.
func WithValuesFiles(ctx context.Context, files []string) context.Context {
	return context.WithValue(ctx, valuesKey{}, files)
}

// ScopeKey is the default scope key for env and paths.
func ScopeKey(env string, paths []string) (string, error) {
	var abs []string
	for _, p := range paths {
		a, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		abs = append(abs, filepath.ToSlash(a))
	}
	sort.Strings(abs)
	return env + ":" + strings.Join(abs, ","), nil
}

// Run walks paths, offers every file to the agents that detect it and every
// directory to the directory agents, reads them concurrently, keeps what
// each file gave only if it was read without error, runs the linkers in
// phase order and returns the report with the batch. The error is for the
// run as a whole (a path that does not exist); problems in single files are
// in Report.Errors.
func Run(ctx context.Context, paths []string, opt Options) (*Report, error) {
	if len(paths) == 0 {
		return nil, errors.New("discover: no paths given")
	}
	if opt.MaxFileSize <= 0 {
		opt.MaxFileSize = DefaultMaxFileSize
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	key := opt.Scope
	if key == "" {
		var err error
		if key, err = ScopeKey(opt.Env, paths); err != nil {
			return nil, err
		}
	}
	items, skips, err := walk(paths, opt.MaxFileSize)
	if err != nil {
		return nil, err
	}
	ctx = WithValuesFiles(ctx, opt.Values)
	rep := &Report{
		Scope:     graph.Scope{Source: "discover", Key: key},
		FilesRead: map[string]int{}, Skipped: skips,
		NodesByKind: map[string]int{}, EdgesByKind: map[string]int{},
	}
	run := NewCollector(opt.Env)
	var (
		mu   sync.Mutex
		done atomic.Int64
		wg   sync.WaitGroup
	)
	work := make(chan walked)
	for range opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				res := readOne(ctx, it, opt)
				mu.Lock()
				rep.merge(run, res, it.dir)
				mu.Unlock()
				if opt.Progress != nil {
					opt.Progress(int(done.Add(1)), len(items))
				}
			}
		}()
	}
feed:
	for _, it := range items {
		select {
		case work <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, l := range opt.Linkers {
		if err := l.Link(ctx, run); err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				fe = &FileError{File: "(linker " + l.Name() + ")", Msg: err.Error(), Err: err}
			}
			rep.Errors = append(rep.Errors, fe)
		}
	}
	sort.Slice(rep.Skipped, func(i, j int) bool { return rep.Skipped[i].Path < rep.Skipped[j].Path })
	sort.SliceStable(rep.Errors, func(i, j int) bool {
		if rep.Errors[i].File != rep.Errors[j].File {
			return rep.Errors[i].File < rep.Errors[j].File
		}
		return rep.Errors[i].Line < rep.Errors[j].Line
	})
	rep.Batch, rep.Dangling = run.Batch(rep.Scope, opt.Run)
	for _, n := range rep.Batch.Nodes {
		rep.NodesByKind[string(n.Kind)]++
	}
	for _, e := range rep.Batch.Edges {
		rep.EdgesByKind[string(e.Kind)]++
	}
	rep.Collector = run
	return rep, nil
}

// fileResult is what the agents made of one file or directory.
type fileResult struct {
	path    string
	read    []string     // agents that read it without error
	results []*Collector // their collectors, to merge
	errs    []*FileError
	skip    string
}

func readOne(ctx context.Context, it walked, opt Options) fileResult {
	res := fileResult{path: it.path}
	if it.dir {
		for _, a := range opt.DirAgents {
			if !a.DetectDir(it.abs) {
				continue
			}
			c := NewCollector(opt.Env)
			if err := safeCall(it.path, func() error { return a.ReadDir(ctx, it.abs, it.path, c) }); err != nil {
				res.errs = append(res.errs, asFileError(it.path, err))
				continue
			}
			res.read = append(res.read, a.Name())
			res.results = append(res.results, c)
		}
		return res
	}
	data, err := os.ReadFile(it.abs)
	if err != nil {
		res.errs = append(res.errs, &FileError{File: it.path, Msg: "cannot read: " + err.Error(), Err: err})
		return res
	}
	if int64(len(data)) > opt.MaxFileSize { // grew since it was listed
		res.skip = fmt.Sprintf("file too large: %d bytes, limit %d", len(data), opt.MaxFileSize)
		return res
	}
	if isBinary(data) {
		res.skip = "binary file"
		return res
	}
	f := &File{Path: it.path, Abs: it.abs, Data: data}
	for _, a := range opt.Agents {
		if !a.Detect(f) {
			continue
		}
		c := NewCollector(opt.Env)
		if err := safeCall(it.path, func() error { return a.Read(ctx, f, c) }); err != nil {
			res.errs = append(res.errs, asFileError(it.path, err))
			continue
		}
		res.read = append(res.read, a.Name())
		res.results = append(res.results, c)
	}
	return res
}

// safeCall runs an agent, turning a panic into a file error: one agent's
// bug on one odd file must not take the whole run down.
func safeCall(path string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &FileError{File: path, Msg: fmt.Sprintf("agent failed on this file: %v", r)}
		}
	}()
	return f()
}

func asFileError(path string, err error) *FileError {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe
	}
	return &FileError{File: path, Msg: err.Error(), Err: err}
}

func (r *Report) merge(run *Collector, res fileResult, dir bool) {
	if !dir {
		r.Files++
		if res.skip == "" && len(res.read) == 0 && len(res.errs) == 0 {
			r.Unrecognized++
		}
	}
	if res.skip != "" {
		r.Skipped = append(r.Skipped, Skip{Path: res.path, Reason: res.skip})
	}
	r.Errors = append(r.Errors, res.errs...)
	for i, a := range res.read {
		r.FilesRead[a]++
		r.Errors = append(r.Errors, res.results[i].Errors()...)
		run.Merge(res.results[i])
	}
}
