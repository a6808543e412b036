package k8s

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/riskgraph/riskgraph/discovery"
)

// KustomizeAgent builds a Kustomize overlay in-process (krusty, as
// `kustomize build` does) and reads the resulting objects like plain
// manifests. Components are not buildable on their own; they are built
// as part of the overlays that use them.
type KustomizeAgent struct{}

func (KustomizeAgent) Name() string { return "kustomize" }

var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

func kustomizationFile(dir string) (string, []byte) {
	for _, n := range kustomizationNames {
		if b, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
			return n, b
		}
	}
	return "", nil
}

var reComponent = regexp.MustCompile(`(?m)^kind:\s*Component\s*$`)

func (KustomizeAgent) DetectDir(dir string) bool {
	n, b := kustomizationFile(dir)
	return n != "" && !reComponent.Match(b)
}

func (KustomizeAgent) ReadDir(ctx context.Context, dir, rel string, c *discovery.Collector) error {
	name, _ := kustomizationFile(dir)
	file := path.Join(rel, name)
	// Remote bases would be fetched over the network; discovery reads what
	// is on disk only. The overlay is built without them (in every
	// kustomization it reaches), and each is reported.
	fs := localFS{FileSystem: filesys.MakeFsOnDisk(), top: filepath.Join(absDir(dir), name)}
	opts := krusty.MakeDefaultOptions()
	k := krusty.MakeKustomizer(opts)
	rm, err := k.Run(&fs, dir)
	for _, r := range fs.remote {
		f := file
		if r.dir != dir {
			if rd, err := filepath.Rel(dir, r.dir); err == nil {
				f = path.Join(rel, filepath.ToSlash(rd), r.name)
			}
		}
		c.AddError(&discovery.FileError{File: f, Line: lineOfEntry(r.data, r.ref),
			Msg: "remote resource " + r.ref + " is not fetched (discovery reads local files only); the overlay was built without it"})
	}
	if err != nil {
		return &discovery.FileError{File: file, Msg: "cannot build Kustomize overlay: " + err.Error(), Err: err}
	}
	variant := "kustomize overlay " + rel
	origins := map[string][]doc{}
	for _, r := range rm.Resources() {
		j, err := r.MarshalJSON()
		if err != nil {
			return &discovery.FileError{File: file, Msg: "kustomize output: " + err.Error(), Err: err}
		}
		// Evidence names the file and document the object came from (its
		// origin annotation, asked for below), or else the overlay's
		// kustomization file.
		f, d := file, doc{}
		if o := originPath(r.GetAnnotations()[originAnnotation]); o != "" {
			src := filepath.Join(dir, filepath.FromSlash(o))
			if _, ok := origins[src]; !ok {
				if b, err := os.ReadFile(src); err == nil {
					origins[src] = splitDocs(b)
				} else {
					origins[src] = nil
				}
			}
			if od, ok := findDoc(origins[src], r.GetKind(), r.GetName()); ok {
				f, d = path.Clean(path.Join(rel, o)), od
			}
		}
		if err := readObject(f, d, j, variant, c); err != nil {
			c.AddError(asFileError(f, d.line, err))
		}
	}
	return nil
}

// originAnnotation is where kustomize records the file a built object
// came from when the kustomization asks for originAnnotations.
const originAnnotation = "config.kubernetes.io/origin"

// originPath is the local path in an origin annotation ("path:
// ../base/app.yaml"), or "" for none or a remote one.
func originPath(ann string) string {
	var o struct {
		Path string `json:"path"`
		Repo string `json:"repo"`
	}
	if ann == "" || yaml.Unmarshal([]byte(ann), &o) != nil || o.Repo != "" {
		return ""
	}
	return filepath.ToSlash(o.Path)
}

// findDoc is the document of docs that defined the built object kind/name:
// of that kind, with the longest name the built one contains (a
// namePrefix or nameSuffix made app into prod-app-v2).
func findDoc(docs []doc, kind, built string) (doc, bool) {
	var best doc
	bestLen := -1
	for _, d := range docs {
		j, err := yaml.YAMLToJSON(d.text)
		if err != nil {
			continue
		}
		var tm typeMeta
		if json.Unmarshal(j, &tm) != nil || tm.Kind != kind || !strings.Contains(built, tm.Metadata.Name) {
			continue
		}
		if len(tm.Metadata.Name) > bestLen {
			best, bestLen = d, len(tm.Metadata.Name)
		}
	}
	return best, bestLen >= 0
}

func absDir(dir string) string {
	if a, err := filepath.Abs(dir); err == nil {
		return a
	}
	return dir
}

// remoteRef is a remote entry left out of a kustomization.
type remoteRef struct {
	dir, name, ref string
	data           []byte
}

// localFS is the disk as krusty sees it, except that kustomization files
// come without their remote resources, bases and components.
type localFS struct {
	filesys.FileSystem
	top    string // the overlay's own kustomization file, which is asked for origin annotations
	remote []remoteRef
}

func (l *localFS) ReadFile(p string) ([]byte, error) {
	data, err := l.FileSystem.ReadFile(p)
	if err != nil || !slices.Contains(kustomizationNames, filepath.Base(p)) {
		return data, err
	}
	var k map[string]any
	if yaml.Unmarshal(data, &k) != nil {
		return data, nil // krusty reports it
	}
	changed := false
	if filepath.Clean(absDir(p)) == l.top {
		bm, _ := k["buildMetadata"].([]any)
		if !slices.Contains(bm, any("originAnnotations")) {
			k["buildMetadata"] = append(bm, "originAnnotations")
			changed = true
		}
	}
	for _, field := range []string{"resources", "bases", "components"} {
		entries, ok := k[field].([]any)
		if !ok {
			continue
		}
		kept := entries[:0:0]
		for _, e := range entries {
			if s, ok := e.(string); ok && isRemote(s) {
				l.remote = append(l.remote, remoteRef{dir: filepath.Dir(p), name: filepath.Base(p), ref: s, data: data})
				changed = true
				continue
			}
			kept = append(kept, e)
		}
		k[field] = kept
	}
	if !changed {
		return data, nil
	}
	return yaml.Marshal(k)
}

// isRemote says whether a kustomization entry is fetched from elsewhere
// (a URL, a git reference, a go-getter address).
func isRemote(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(s, "github.com/") || strings.HasPrefix(s, "gitlab.com/") ||
		strings.HasPrefix(s, "bitbucket.org/") || strings.HasPrefix(s, "git@") || strings.HasPrefix(s, "git::") ||
		strings.Contains(s, "?ref=")
}

// lineOfEntry is the line of data naming ref, or 0.
func lineOfEntry(data []byte, ref string) int {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for ln := 1; sc.Scan(); ln++ {
		if strings.Contains(sc.Text(), ref) {
			return ln
		}
	}
	return 0
}
