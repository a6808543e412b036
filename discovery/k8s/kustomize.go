package k8s

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

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
	name, data := kustomizationFile(dir)
	file := path.Join(rel, name)
	// Remote bases would be fetched over the network; discovery reads what
	// is on disk only.
	sc := bufio.NewScanner(bytes.NewReader(data))
	for ln := 1; sc.Scan(); ln++ {
		t := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(t, "- ") && (strings.Contains(t, "://") || strings.Contains(t, "github.com/")) {
			return &discovery.FileError{File: file, Line: ln, Msg: "remote resource " + strings.TrimPrefix(t, "- ") + " is not fetched: discovery reads local files only"}
		}
	}
	opts := krusty.MakeDefaultOptions()
	k := krusty.MakeKustomizer(opts)
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return &discovery.FileError{File: file, Msg: "cannot build Kustomize overlay: " + err.Error(), Err: err}
	}
	variant := "kustomize overlay " + rel
	for _, r := range rm.Resources() {
		j, err := r.MarshalJSON()
		if err != nil {
			return &discovery.FileError{File: file, Msg: "kustomize output: " + err.Error(), Err: err}
		}
		// Built objects have no line of their own; evidence names the
		// overlay's kustomization file and the object.
		if err := readObject(file, doc{}, j, variant, c); err != nil {
			return err
		}
	}
	return nil
}
