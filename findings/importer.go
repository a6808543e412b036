package findings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// ScopeSource is the graph.Scope source of import batches.
const ScopeSource = "findings"

// Input is one scanner output: a name for errors and sources (the file
// path) and its bytes.
type Input struct {
	Name string
	Data []byte
}

// Options tune an import.
type Options struct {
	// Service forces the subject of code, secret and misconfiguration
	// findings (and of package findings whose package is not in the graph)
	// to this service: "name" or "env/name".
	Service string
	// Scope replaces tool+target as the scope of every scan in the run: a
	// complete import of a scope marks fixed what it no longer reports.
	Scope string
	// KEV and EPSS enrich vulnerabilities when set.
	KEV  KEV
	EPSS EPSS
	// Partial applies the findings of the good files when some files are
	// bad; nothing is marked fixed after such a run.
	Partial bool
	// Now is the clock (time.Now when nil); Run the run id (derived from
	// the clock when empty); Actor names who imported in statusHistory.
	Now   func() time.Time
	Run   graph.RunID
	Actor string
}

// Summary says what an import did.
type Summary struct {
	Files      []FileSummary `json:"files"`
	Findings   int           `json:"findings"` // distinct findings reported in this run
	New        int           `json:"new"`
	Seen       int           `json:"seen"` // reported again
	Reopened   int           `json:"reopened"`
	Fixed      int           `json:"fixed"`
	Unresolved []Unresolved  `json:"unresolved,omitempty"`
	Applied    bool          `json:"applied"`
	Result     graph.Result  `json:"result"`
	// FixSkipped says why no finding was marked fixed, when so.
	FixSkipped string `json:"fixSkipped,omitempty"`
}

// FileSummary is one input's outcome.
type FileSummary struct {
	File   string        `json:"file"`
	Format Format        `json:"format,omitempty"`
	Scans  []ScanSummary `json:"scans,omitempty"`
	Error  string        `json:"error,omitempty"`
	err    error
}

// ScanSummary is one scan of a file.
type ScanSummary struct {
	Tool     string `json:"tool"`
	Target   string `json:"target,omitempty"`
	Scope    string `json:"scope"`
	Results  int    `json:"results"`
	Findings int    `json:"findings"` // after dedup within the scan
}

// Unresolved is a finding no graph node was found for.
type Unresolved struct {
	ID       graph.ID `json:"id"`
	Title    string   `json:"title"`
	Tool     string   `json:"tool"`
	Category string   `json:"category"`
	What     string   `json:"what"` // the purl, file or resource that was looked for
}

// Import parses every input, correlates the findings with the graph held
// by store and applies them as one batch. With any bad input and
// opt.Partial unset nothing is applied and the error names every bad file.
func Import(ctx context.Context, store graph.Store, inputs []Input, opt Options) (*Summary, error) {
	sum := &Summary{}
	var reports []*Report
	var bad []error
	for _, in := range inputs {
		fs := FileSummary{File: in.Name}
		r, err := Parse(in.Name, in.Data)
		if err != nil {
			fs.Error, fs.err = err.Error(), err
			bad = append(bad, err)
		} else {
			fs.Format = r.Format
			reports = append(reports, r)
		}
		sum.Files = append(sum.Files, fs)
	}
	if len(bad) > 0 && (!opt.Partial || len(reports) == 0) {
		what := "nothing applied"
		if !opt.Partial && len(reports) > 0 {
			what += "; pass --partial to import the good files"
		}
		return sum, fmt.Errorf("%d of %d files could not be read (%s):\n%w", len(bad), len(inputs), what, errors.Join(bad...))
	}
	b, err := Plan(ctx, store, reports, opt, len(bad) > 0, sum)
	if err != nil {
		return sum, err
	}
	res, err := store.Apply(ctx, *b)
	if err != nil {
		return sum, fmt.Errorf("applying the import: %w", err)
	}
	sum.Applied, sum.Result = true, res
	if len(bad) > 0 {
		return sum, fmt.Errorf("%d of %d files could not be read (their findings were not imported, nothing was marked fixed):\n%w", len(bad), len(inputs), errors.Join(bad...))
	}
	return sum, nil
}

// Plan correlates parsed reports with the graph in store and returns the
// batch an import applies, filling sum. partial means some inputs of the
// run failed: then nothing is marked fixed.
func Plan(ctx context.Context, store graph.Store, reports []*Report, opt Options, partial bool, sum *Summary) (*graph.Batch, error) {
	v, err := store.Read(ctx)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	ix, err := buildIndex(ctx, v)
	if err != nil {
		return nil, err
	}
	p := newPlanner(ctx, ix, opt)
	for _, r := range reports {
		fs := fileSummary(sum, r.File)
		for i := range r.Scans {
			ss := p.addScan(r, &r.Scans[i])
			if fs != nil {
				fs.Scans = append(fs.Scans, ss)
			}
		}
	}
	if partial {
		sum.FixSkipped = "some inputs failed: a partial run marks nothing fixed"
	} else {
		p.markFixed(sum)
	}
	if err := p.finish(ctx, sum); err != nil {
		return nil, err
	}
	return &p.b, nil
}

func fileSummary(sum *Summary, file string) *FileSummary {
	for i := range sum.Files {
		if sum.Files[i].File == file && sum.Files[i].err == nil {
			return &sum.Files[i]
		}
	}
	sum.Files = append(sum.Files, FileSummary{File: file})
	return &sum.Files[len(sum.Files)-1]
}

// acc is one finding of the run, merged over every tool that reported it.
type acc struct {
	id       graph.ID
	fp       string
	f        Finding
	tools    []string
	sources  []graph.Source
	scopes   []string
	target   string
	subjects []graph.ID
	pkgs     []graph.ID // subjects that get AFFECTED_BY
	what     string
}

type vulnAcc struct {
	id      string
	aliases []string
	cvss    float64
	vector  string
	sev     string
	summary string
	epss    float64
	epssPct float64
	pkgs    []graph.ID
}

type planner struct {
	ctx    context.Context
	ix     *index
	opt    Options
	now    time.Time
	nowS   string
	actor  string
	accs   map[graph.ID]*acc
	order  []graph.ID
	vulns  map[string]*vulnAcc
	vorder []string
	scopes []string // scopes of this run
	b      graph.Batch
	forced []graph.ID // --service
}

func newPlanner(ctx context.Context, ix *index, opt Options) *planner {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	p := &planner{ctx: ctx, ix: ix, opt: opt, now: now().UTC(), accs: map[graph.ID]*acc{}, vulns: map[string]*vulnAcc{}, actor: opt.Actor}
	p.nowS = p.now.Format(time.RFC3339)
	if p.actor == "" {
		p.actor = "import"
	}
	run := opt.Run
	if run == "" {
		run = graph.RunID("import-" + p.now.Format("20060102T150405.000000000Z"))
	}
	p.b = graph.Batch{Run: run, ObservedAt: p.now}
	if opt.Service != "" {
		p.forced = ix.service(opt.Service)
	}
	return p
}

func scopeKey(opt Options, tool, target, file string) (string, string) {
	if target == "" {
		target = filepath.Base(file)
	}
	if opt.Scope != "" {
		return opt.Scope, target
	}
	return strings.ToLower(tool) + ":" + target, target
}

func (p *planner) addScan(r *Report, s *Scan) ScanSummary {
	scope, target := scopeKey(p.opt, s.Tool, s.Target, r.File)
	if !slices.Contains(p.scopes, scope) {
		p.scopes = append(p.scopes, scope)
	}
	ss := ScanSummary{Tool: s.Tool, Target: s.Target, Scope: scope, Results: len(s.Findings)}
	seen := map[graph.ID]bool{}
	for i := range s.Findings {
		f := &s.Findings[i]
		fp := f.Fingerprint(s.Tool, target)
		id := graph.FindingID(fp)
		seen[id] = true
		src := graph.Source{Agent: s.Tool, File: r.File, Detail: f.Path}
		a := p.accs[id]
		if a == nil {
			a = &acc{id: id, fp: fp, f: *f, target: target}
			a.subjects, a.pkgs, a.what = p.resolve(f, s)
			p.accs[id] = a
			p.order = append(p.order, id)
		} else {
			p.merge(a, f)
		}
		addUnique(&a.tools, s.Tool)
		addUnique(&a.scopes, scope)
		if !slices.Contains(a.sources, src) {
			a.sources = append(a.sources, src)
		}
	}
	ss.Findings = len(seen)
	return ss
}

func addUnique(xs *[]string, x string) {
	if !slices.Contains(*xs, x) {
		*xs = append(*xs, x)
	}
}

var sevRank = map[string]int{"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

// merge folds another tool's (or result's) report of the same finding in.
func (p *planner) merge(a *acc, f *Finding) {
	if sevRank[f.Severity] > sevRank[a.f.Severity] {
		a.f.Severity = f.Severity
	}
	if f.CVSS > a.f.CVSS {
		a.f.CVSS, a.f.CVSSVector = f.CVSS, f.CVSSVector
	}
	for _, al := range f.Aliases {
		if !strings.EqualFold(al, a.f.Advisory) {
			addUnique(&a.f.Aliases, al)
		}
	}
	if f.VEXState != "" {
		a.f.VEXState, a.f.VEXJustification = f.VEXState, f.VEXJustification
	}
	if a.f.Summary == "" {
		a.f.Summary = f.Summary
	}
	if f.EPSS > 0 {
		a.f.EPSS, a.f.EPSSPct = f.EPSS, f.EPSSPct
	}
	if a.f.Purl == "" {
		a.f.Purl = f.Purl
	}
	if a.f.File == "" {
		a.f.File, a.f.Line = f.File, f.Line
	}
	if a.f.Resource == "" {
		a.f.Resource = f.Resource
	}
	if len(a.subjects) == 0 {
		a.subjects, a.pkgs, a.what = p.resolve(f, nil)
	}
}

// resolve finds the nodes a finding is about (see the package doc).
func (p *planner) resolve(f *Finding, s *Scan) (subjects, pkgs []graph.ID, what string) {
	ix := p.ix
	add := func(ids ...graph.ID) {
		for _, id := range ids {
			if id != "" && !slices.Contains(subjects, id) {
				subjects = append(subjects, id)
			}
		}
	}
	if f.Subject != nil {
		if id := subjectID(f.Subject); id != "" {
			if _, ok := ix.nodes[id]; ok {
				add(id)
			}
		}
	}
	target := ""
	if s != nil {
		target = s.Target
	}
	switch f.Category {
	case CategoryVulnerability:
		what = f.Purl
		if what == "" {
			what = strings.TrimSpace(f.PkgName + "@" + f.PkgVersion)
		}
		if f.Product != "" {
			what = f.Product
		}
		pkgs = ix.packages(f)
		add(pkgs...)
		for _, pk := range pkgs {
			add(ix.walkServices(p.ctx, ix.dependents, pk, graph.DependsOn)...)
		}
		if len(subjects) > 0 {
			return subjects, pkgs, what
		}
		for _, ref := range []string{target, f.File} {
			if img, ok := ix.images[ref]; ok && ref != "" {
				pkgs = append(pkgs, img)
				add(img)
				add(ix.walkServices(p.ctx, ix.imageUsers, img, graph.RunsImage)...)
				return subjects, pkgs, what
			}
		}
		if f.Resource != "" {
			add(ix.k8sObject(f.Resource)...)
		}
		if f.Product != "" && len(subjects) == 0 {
			name, _, _ := strings.Cut(f.Product, "@")
			for _, n := range ix.byName[strings.ToLower(name)] {
				if n.Kind == graph.Service || n.Kind == graph.Application {
					add(n.ID)
				}
			}
		}
		if len(subjects) == 0 {
			add(p.forced...)
		}
		return subjects, pkgs, what
	case CategoryMisconfiguration:
		what = f.Resource
		if strings.Count(f.Resource, "/") == 2 {
			add(ix.k8sObject(f.Resource)...)
		} else if f.Resource != "" {
			add(ix.iacResource(f.Resource, f.File)...)
		}
		if len(subjects) > 0 {
			return subjects, nil, what
		}
	}
	if what == "" {
		what = f.File
	}
	if len(p.forced) > 0 {
		add(p.forced...)
		return subjects, nil, what
	}
	if len(subjects) == 0 && f.File != "" {
		add(ix.codeOwner(f.File))
	}
	if len(subjects) == 0 && target != "" {
		if repo, ok := ix.repos[normRepo(target)]; ok {
			add(ix.walkServices(p.ctx, ix.repoUsers, repo, graph.BuiltFrom, graph.RunsImage)...)
		}
	}
	return subjects, nil, what
}

func subjectID(r *SubjectRef) graph.ID {
	switch graph.Kind(r.Kind) {
	case graph.Service:
		return graph.ServiceID(r.Env, r.Name)
	case graph.API:
		return graph.APIID(graph.ServiceID(r.Env, r.Name), r.Method, r.Path)
	case graph.Gateway:
		return graph.GatewayID(r.Env, r.Name)
	case graph.DataStore:
		return graph.DataStoreID(r.Env, r.Name)
	case graph.Application:
		return graph.ApplicationID(r.Name)
	case graph.Repository:
		return graph.RepositoryID(r.Name)
	case graph.Image:
		return graph.ImageID(r.Name)
	case graph.Package:
		return graph.PackageID(r.Name)
	}
	return ""
}

func (p *planner) history(status, actor, reason string) string {
	return p.nowS + " " + status + " " + actor + ": " + reason
}

// finish turns the accumulated findings into nodes and edges.
func (p *planner) finish(ctx context.Context, sum *Summary) error {
	nEdges := 0
	for _, id := range p.order {
		nEdges += len(p.accs[id].subjects) + len(p.accs[id].pkgs)
	}
	p.b.Nodes = slices.Grow(p.b.Nodes, len(p.order)+len(p.vorder)+len(p.accs)/4)
	p.b.Edges = slices.Grow(p.b.Edges, nEdges)
	for _, id := range p.order {
		a := p.accs[id]
		old := p.ix.findings[id]
		n := p.findingNode(a, old, sum)
		p.b.Nodes = append(p.b.Nodes, n)
		// Edges already in the graph are not sent again: re-importing an
		// unchanged report then touches only the finding nodes.
		var prev []graph.ID
		if old != nil {
			var err error
			if prev, err = p.ix.foundOn(ctx, id); err != nil {
				return err
			}
			for _, o := range prev {
				if !slices.Contains(a.subjects, o) {
					p.b.Delete = append(p.b.Delete, graph.EdgeID(graph.FoundOn, id, o))
				}
			}
		}
		for _, s := range a.subjects {
			if slices.Contains(prev, s) {
				continue
			}
			e := graph.NewEdge(graph.FoundOn, id, s)
			e.Sources = []graph.Source{a.sources[0]}
			p.b.Edges = append(p.b.Edges, e)
		}
		if len(a.subjects) == 0 {
			sum.Unresolved = append(sum.Unresolved, Unresolved{ID: id, Title: a.f.Title, Tool: a.tools[0], Category: a.f.Category, What: a.what})
		}
		if a.f.Category == CategoryVulnerability && a.f.Advisory != "" {
			p.addVuln(a)
		}
	}
	sum.Findings = len(p.order)
	for _, adv := range p.vorder {
		va := p.vulns[adv]
		vn, err := p.vulnNode(ctx, va)
		if err != nil {
			return err
		}
		p.b.Nodes = append(p.b.Nodes, vn)
		for _, pk := range va.pkgs {
			e := graph.NewEdge(graph.AffectedBy, pk, vn.ID)
			if _, err := p.ix.view.Edge(ctx, e.ID); err == nil {
				continue
			} else if !errors.Is(err, graph.ErrNotFound) {
				return err
			}
			p.b.Edges = append(p.b.Edges, e)
		}
	}
	key := p.opt.Scope
	if key == "" {
		slices.Sort(p.scopes)
		key = strings.Join(p.scopes, ",")
		if len(key) > 200 {
			h := sha256.Sum256([]byte(key))
			key = "runs:" + hex.EncodeToString(h[:8])
		}
	}
	if key == "" {
		key = "empty"
	}
	p.b.Scope = graph.Scope{Source: ScopeSource, Key: key}
	return nil
}

func (p *planner) addVuln(a *acc) {
	f := &a.f
	va := p.vulns[f.Advisory]
	if va == nil {
		va = &vulnAcc{id: f.Advisory, sev: f.Severity}
		p.vulns[f.Advisory] = va
		p.vorder = append(p.vorder, f.Advisory)
	}
	for _, al := range f.Aliases {
		addUnique(&va.aliases, al)
	}
	if f.CVSS > va.cvss {
		va.cvss, va.vector = f.CVSS, f.CVSSVector
	}
	if sevRank[f.Severity] > sevRank[va.sev] {
		va.sev = f.Severity
	}
	if va.summary == "" {
		va.summary = f.Summary
	}
	if f.EPSS > 0 {
		va.epss, va.epssPct = f.EPSS, f.EPSSPct
	}
	for _, pk := range a.pkgs {
		if !slices.Contains(va.pkgs, pk) {
			va.pkgs = append(va.pkgs, pk)
		}
	}
}

func (p *planner) vulnNode(ctx context.Context, va *vulnAcc) (graph.Node, error) {
	id := graph.VulnerabilityID(va.id)
	aliases := slices.Clone(va.aliases)
	if old, err := p.ix.view.Node(ctx, id); err == nil {
		for _, al := range old.Props.Strings("aliases") {
			addUnique(&aliases, al)
		}
	} else if !errors.Is(err, graph.ErrNotFound) {
		return graph.Node{}, err
	}
	slices.Sort(aliases)
	props := graph.Props{"severity": va.sev}
	if len(aliases) > 0 {
		props["aliases"] = aliases
	}
	if va.cvss > 0 {
		props["cvss"] = va.cvss
	}
	if va.vector != "" {
		props["cvssVector"] = va.vector
	}
	if va.summary != "" {
		props["summary"] = va.summary
	}
	if va.epss > 0 {
		props["epss"], props["epssPercentile"] = va.epss, va.epssPct
	}
	cves := []string{va.id}
	for _, al := range aliases {
		if cveRe.MatchString(al) {
			cves = append(cves, strings.ToUpper(al))
		}
	}
	if p.opt.KEV != nil {
		props["kev"] = false
		for _, c := range cves {
			if d, ok := p.opt.KEV[c]; ok {
				props["kev"], props["kevDateAdded"] = true, d
				break
			}
		}
	}
	if p.opt.EPSS != nil {
		for _, c := range cves {
			if s, ok := p.opt.EPSS[c]; ok {
				props["epss"], props["epssPercentile"] = s.Probability, s.Percentile
				break
			}
		}
	}
	return graph.Node{ID: id, Kind: graph.Vulnerability, Name: va.id, Props: props,
		Sources: []graph.Source{{Agent: "findings", Detail: va.id}}}, nil
}

// findingNode builds the upsert of one reported finding, applying the
// lifecycle against what the store holds.
func (p *planner) findingNode(a *acc, old *graph.Node, sum *Summary) graph.Node {
	f := &a.f
	props := make(graph.Props, 24) // sized once: built 100k times on large imports
	props["tool"] = a.tools[0]
	props["tools"] = slices.Clone(a.tools)
	props["rule"] = f.Rule
	props["severity"] = f.Severity
	props["fingerprint"] = a.fp
	props["message"] = f.Message
	props["category"] = f.Category
	props["unresolved"] = len(a.subjects) == 0
	props["scopes"] = slices.Clone(a.scopes)
	props["target"] = a.target
	set := func(k, v string) {
		if v != "" {
			props[k] = v
		}
	}
	set("vulnerability", f.Advisory)
	set("file", f.File)
	set("purl", f.Purl)
	set("resource", f.Resource)
	set("vexState", f.VEXState)
	set("vexJustification", f.VEXJustification)
	if f.Line > 0 {
		props["line"] = int64(f.Line)
	}
	if f.CVSS > 0 {
		props["cvss"] = f.CVSS
	}
	var history []string
	status := StatusOpen
	if old != nil {
		// Tools and scopes accumulate across runs: a finding one tool
		// reported yesterday and another today was seen by both.
		tools := slices.Clone(old.Props.Strings("tools"))
		for _, t := range a.tools {
			addUnique(&tools, t)
		}
		if len(tools) > 0 {
			props["tool"], props["tools"] = tools[0], tools
		}
		scopes := slices.Clone(old.Props.Strings("scopes"))
		for _, s := range a.scopes {
			addUnique(&scopes, s)
		}
		props["scopes"] = scopes
		history = slices.Clone(old.Props.Strings("statusHistory"))
		status = old.Props.String("status")
		if status == "" {
			status = StatusOpen
		}
	}
	next, reason := status, ""
	switch {
	case old == nil:
		next, reason = StatusOpen, "first reported by "+a.tools[0]
	case status == StatusFixed:
		next, reason = StatusOpen, "reported again by "+strings.Join(a.tools, ", ")
	case status == StatusAccepted && expired(old.Props.String("acceptedUntil"), p.now):
		next, reason = StatusOpen, "risk acceptance expired "+old.Props.String("acceptedUntil")
	case (status == StatusFalsePositive || status == StatusFixed) && lastActor(history) == "vex" &&
		(f.VEXState == "exploitable" || f.VEXState == "in_triage"):
		// the producer takes its own VEX statement back
		next, reason = StatusOpen, "VEX "+f.VEXState
	}
	// A VEX statement is the producer's triage: it moves open findings, not
	// a person's decision.
	if next == StatusOpen {
		switch f.VEXState {
		case "not_affected", "false_positive":
			next, reason = StatusFalsePositive, "VEX "+f.VEXState
			if f.VEXJustification != "" {
				reason += " (" + f.VEXJustification + ")"
			}
		case "resolved":
			next, reason = StatusFixed, "VEX resolved"
		}
	}
	// A result the tool's user suppressed (a nosec or checkov:skip
	// comment, a baseline) is accepted by them; taking the suppression
	// away reopens it.
	switch {
	case next == StatusOpen && f.Suppressed != "":
		next, reason = StatusAccepted, "suppressed ("+f.Suppressed+")"
		props["acceptedBy"], props["acceptedReason"] = a.tools[0], reason
	case status == StatusAccepted && f.Suppressed == "" && lastActor(history) == "suppression":
		next, reason = StatusOpen, "no longer suppressed"
		props["acceptedBy"], props["acceptedReason"] = nil, nil
	}
	switch {
	case old == nil:
		sum.New++
	case next == StatusOpen && next != status:
		sum.Reopened++
		sum.Seen++
	default:
		sum.Seen++
	}
	if old == nil || next != status {
		actor := p.actor
		if strings.HasPrefix(reason, "VEX") {
			actor = "vex"
		} else if strings.HasPrefix(reason, "suppressed") || reason == "no longer suppressed" {
			actor = "suppression"
		}
		history = append(history, p.history(next, actor, reason))
		if next == StatusFixed {
			props["fixedAt"] = p.nowS
		}
		if status == StatusFixed && next != StatusFixed {
			props["fixedAt"] = nil
		}
	}
	props["status"] = next
	props["statusHistory"] = history
	n := graph.Node{ID: a.id, Kind: graph.Finding, Name: f.Title, Props: props, Sources: a.sources}
	if n.Name == "" {
		n.Name = f.Rule
	}
	if old != nil {
		// Unchanged content is not sent again: the upsert then only moves
		// lastSeen, and the store neither merges nor logs twenty props.
		if subsetEqual(props, old.Props) {
			n.Props = nil
		}
		if allIn(a.sources, old.Sources) {
			n.Sources = nil
		}
	}
	for _, s := range a.subjects {
		if sn, ok := p.ix.nodes[s]; ok && sn.Env != "" {
			n.Env = sn.Env
			break
		}
	}
	return n
}

// lastActor is the actor of the newest statusHistory entry.
func lastActor(h []string) string {
	if len(h) == 0 {
		return ""
	}
	_, rest, _ := strings.Cut(h[len(h)-1], " ")
	_, rest, _ = strings.Cut(rest, " ")
	actor, _, _ := strings.Cut(rest, ":")
	return actor
}

func expired(until string, now time.Time) bool {
	if until == "" {
		return false
	}
	t, err := time.Parse(time.RFC3339, until)
	return err == nil && !now.Before(t)
}

// markFixed writes status fixed on every open or accepted finding that a
// scope of this run reported before and did not report now. A finding
// other scopes still report only loses this scope.
func (p *planner) markFixed(sum *Summary) {
	ids := make([]graph.ID, 0, len(p.ix.findings))
	for id := range p.ix.findings {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if _, seen := p.accs[id]; seen {
			continue
		}
		old := p.ix.findings[id]
		scopes := old.Props.Strings("scopes")
		var rest []string
		hit := false
		for _, s := range scopes {
			if slices.Contains(p.scopes, s) {
				hit = true
			} else {
				rest = append(rest, s)
			}
		}
		if !hit {
			continue
		}
		n := graph.Node{ID: id, Kind: graph.Finding, Name: old.Name, FirstSeen: old.FirstSeen, LastSeen: old.LastSeen}
		status := old.Props.String("status")
		switch {
		case len(rest) > 0:
			n.Props = graph.Props{"scopes": rest}
		case status == StatusOpen || status == StatusAccepted || status == "":
			h := slices.Clone(old.Props.Strings("statusHistory"))
			h = append(h, p.history(StatusFixed, p.actor, "no longer reported by "+strings.Join(scopes, ", ")))
			n.Props = graph.Props{"status": StatusFixed, "fixedAt": p.nowS, "statusHistory": h}
			sum.Fixed++
		default:
			continue
		}
		p.b.Nodes = append(p.b.Nodes, n)
	}
}

// subsetEqual reports whether every key of a has the same value in b.
func subsetEqual(a, b graph.Props) bool {
	for k, v := range a {
		w, ok := b[k]
		if !ok && v != nil {
			return false
		}
		switch x := v.(type) {
		case nil:
			if ok {
				return false
			}
		case string:
			if y, ok := w.(string); !ok || x != y {
				return false
			}
		case bool:
			if y, ok := w.(bool); !ok || x != y {
				return false
			}
		case int64:
			if y, ok := w.(int64); !ok || x != y {
				return false
			}
		case float64:
			if y, ok := w.(float64); !ok || x != y {
				return false
			}
		case []string:
			if y, ok := w.([]string); !ok || !slices.Equal(x, y) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func allIn(xs, ys []graph.Source) bool {
	for _, x := range xs {
		if !slices.Contains(ys, x) {
			return false
		}
	}
	return true
}
