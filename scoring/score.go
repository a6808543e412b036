package scoring

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Factor is one visible input of a score.
type Factor struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Detail string  `json:"detail"`
}

// Score is a finding's risk with its reasoning.
type Score struct {
	Finding graph.ID `json:"finding"`
	// Risk = 100 × Severity × Exploitability × Impact, two decimals.
	Risk           float64  `json:"risk"`
	Severity       float64  `json:"severity"`
	Exploitability float64  `json:"exploitability"`
	Impact         float64  `json:"impact"`
	Factors        []Factor `json:"factors"`
	// Path is the evidence: the way in from the Internet to the finding's
	// subject, then the step to the most sensitive data it reaches.
	Path          []Hop             `json:"path,omitempty"`
	ReachableData []graph.DataClass `json:"reachableData,omitempty"`
	// Open: status open (or unset). Findings in any other status score 0.
	Open bool `json:"open"`
	// Subject is the node the finding was found on ("" when unresolved).
	Subject graph.ID `json:"subject,omitempty"`
}

// findingFacts is what scoring needs from the graph about one finding,
// gathered once per view.
type findingFacts struct {
	id       graph.ID
	name     string
	env      string
	props    graph.Props
	classes  []graph.DataClass
	subject  graph.ID
	carriers []graph.ID
	vuln     *graph.Node
	open     bool
	exp      Exposure
	imp      *impactInfo
	removed  bool
	first    time.Time // when the finding was first seen
	txt      *texts
}

func isOpen(p graph.Props) bool {
	s := strings.ToLower(p.String("status"))
	return s == "" || s == "open"
}

// gather loads every finding's facts once. Callers hold e.mu.
func (e *Engine) gather(ctx context.Context) error {
	if e.facts != nil {
		return nil
	}
	if _, err := e.exposure(ctx); err != nil {
		return err
	}
	var facts []*findingFacts
	err := e.eachNode(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Finding}}, func(n *graph.Node) error {
		f, err := e.factsOf(ctx, n)
		if err != nil {
			return err
		}
		facts = append(facts, f)
		return nil
	})
	if err != nil {
		return err
	}
	e.setFacts(facts)
	return nil
}

func (e *Engine) setFacts(facts []*findingFacts) {
	if facts == nil {
		facts = []*findingFacts{}
	}
	slices.SortFunc(facts, func(a, b *findingFacts) int { return strings.Compare(string(a.id), string(b.id)) })
	e.facts = facts
	e.idx = make(map[graph.ID]int, len(facts))
	e.bySub = map[graph.ID][]int{}
	for i, f := range facts {
		e.idx[f.id] = i
		e.index(i)
	}
	e.scored, e.ranked, e.riskBy, e.onNode = nil, nil, nil, nil
}

// index records slot i under its subject and, for findings that are their
// carriers' weaknesses, under each carrier.
func (e *Engine) index(i int) {
	f := e.facts[i]
	if f.subject != "" {
		e.bySub[f.subject] = append(e.bySub[f.subject], i)
	}
	if carriesFindings(f.subject) {
		for _, c := range f.carriers {
			if c != f.subject {
				e.bySub[c] = append(e.bySub[c], i)
			}
		}
	}
}

// at returns the current findings on (or carried by) node id. Slots of
// findings that moved or were removed since indexing are skipped.
func (e *Engine) at(id graph.ID) []*findingFacts {
	var out []*findingFacts
	for _, i := range e.bySub[id] {
		f := e.facts[i]
		if f.removed {
			continue
		}
		if f.subject == id || (carriesFindings(f.subject) && slices.Contains(f.carriers, id)) {
			out = append(out, f)
		}
	}
	return out
}

// nodeFindings summarises the open findings on a node: the first
// MaxHopFindings ids and the node's compromise factor (see compromise).
type nodeFindings struct {
	ids   []graph.ID
	best  float64
	found bool
}

// MaxHopFindings caps Hop.Findings: a hub service can carry thousands of
// findings, and a path needs to show that there are some, not all of them.
const MaxHopFindings = 20

// findingsOn returns the summary for node id (cached until findings change).
func (e *Engine) findingsOn(id graph.ID) *nodeFindings {
	if nf, ok := e.onNode[id]; ok {
		return nf
	}
	nf := &nodeFindings{best: e.p.Paths.NoFindingStep}
	for _, f := range e.at(id) {
		if !f.open {
			continue
		}
		nf.ids = append(nf.ids, f.id)
		sev, _ := e.baseSeverity(f)
		switch strings.ToLower(f.props.String("vexState")) {
		case "not_affected", "false_positive":
			sev *= e.p.Exploitability.VEXNotAffected
		}
		if sev > nf.best {
			nf.best, nf.found = sev, true
		}
	}
	nf.ids = sortIDs(nf.ids)
	if len(nf.ids) > MaxHopFindings {
		nf.ids = nf.ids[:MaxHopFindings:MaxHopFindings]
	}
	if e.onNode == nil {
		e.onNode = map[graph.ID]*nodeFindings{}
	}
	e.onNode[id] = nf
	return nf
}

// factsOf gathers one finding's facts.
func (e *Engine) factsOf(ctx context.Context, n *graph.Node) (*findingFacts, error) {
	f := &findingFacts{id: n.ID, name: n.Name, env: n.Env, props: n.Props, classes: n.DataClasses, open: isOpen(n.Props), first: n.FirstSeen}
	// Not through the edge cache: a finding's edges are read once, and
	// caching hundreds of thousands of them would cost more than it saves.
	pg, err := e.v.Edges(ctx, graph.EdgeFilter{From: n.ID, Kinds: []graph.EdgeKind{graph.FoundOn}}, graph.Page{Limit: graph.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	on := pg.Edges
	if len(on) > 0 {
		// One subject per finding by convention; the smallest id if several.
		f.subject = on[0].To
		for _, ed := range on[1:] {
			if ed.To < f.subject {
				f.subject = ed.To
			}
		}
	}
	adv := n.Props.String("vulnerability")
	if adv == "" && n.Props.String("category") == "vulnerability" {
		adv = n.Props.String("rule")
	}
	if f.vuln, err = e.vulnerability(ctx, adv); err != nil {
		return nil, err
	}
	if f.subject == "" {
		f.exp = Exposure{Hops: -1}
		f.imp = &impactInfo{}
		f.txt = e.textsOf(ctx, f)
		return f, nil
	}
	si, err := e.subjectInfo(ctx, f.subject)
	if err != nil {
		return nil, err
	}
	f.carriers, f.exp, f.imp = si.carriers, si.exp, si.imp
	f.txt = e.textsOf(ctx, f)
	return f, nil
}

// ScoreFinding scores one finding.
func (e *Engine) ScoreFinding(ctx context.Context, id graph.ID) (Score, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i, ok := e.idx[id]; ok && !e.facts[i].removed {
		if e.scored != nil {
			return e.decorate(e.scored[i]), nil
		}
		return e.decorate(e.score(ctx, e.facts[i])), nil
	}
	n, err := e.v.Node(ctx, id)
	if err != nil {
		return Score{}, err
	}
	if n.Kind != graph.Finding {
		return Score{}, fmt.Errorf("scoring: %s is a %s, not a Finding", id, n.Kind)
	}
	if _, err := e.exposure(ctx); err != nil {
		return Score{}, err
	}
	f, err := e.factsOf(ctx, &n)
	if err != nil {
		return Score{}, err
	}
	return e.decorate(e.score(ctx, f)), nil
}

// ScoreAll scores every finding, highest risk first (ties by id). The hops
// of the returned paths do not list their findings (ScoreFinding and
// TopRisks do): over a large estate that list would dwarf the scores.
func (e *Engine) ScoreAll(ctx context.Context) ([]Score, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.scoreAll(ctx); err != nil {
		return nil, err
	}
	return slices.Clone(e.ranked), nil
}

// Rescore scores every finding again from the facts already gathered (for
// instance after WithProfile): no graph access unless facts are missing.
func (e *Engine) Rescore(ctx context.Context) ([]Score, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.scored, e.ranked, e.riskBy, e.onNode = nil, nil, nil, nil
	if err := e.scoreAll(ctx); err != nil {
		return nil, err
	}
	return slices.Clone(e.ranked), nil
}

// WithProfile returns an engine over the same view with profile p that
// keeps every cache that does not depend on weights (exposure, finding
// facts, impact); scores are recomputed on demand. e must not be used
// afterwards.
func (e *Engine) WithProfile(p Profile) *Engine {
	e.mu.Lock()
	defer e.mu.Unlock()
	ne := e.handOver()
	ne.p = p
	ne.scored, ne.ranked, ne.riskBy, ne.onNode = nil, nil, nil, nil
	return ne
}

// scoreAll fills e.scored, e.ranked and e.riskBy as needed. Callers hold
// e.mu.
func (e *Engine) scoreAll(ctx context.Context) error {
	if err := e.gather(ctx); err != nil {
		return err
	}
	if e.scored == nil {
		scored := make([]Score, len(e.facts))
		for i, f := range e.facts {
			if !f.removed {
				scored[i] = e.score(ctx, f)
			}
		}
		e.scored, e.ranked, e.riskBy = scored, nil, nil
	}
	if e.ranked == nil {
		// Sort indexes, not Scores: moving 4 bytes per swap instead of a
		// whole Score is most of the cost over hundreds of thousands.
		idx := make([]int32, 0, len(e.scored))
		for i, f := range e.facts {
			if !f.removed {
				idx = append(idx, int32(i))
			}
		}
		slices.SortFunc(idx, func(a, b int32) int { return compareScores(e.scored[a], e.scored[b]) })
		ranked := make([]Score, len(idx))
		for i, j := range idx {
			ranked[i] = e.scored[j]
		}
		e.ranked = ranked
	}
	if e.riskBy == nil {
		riskBy := map[graph.ID]float64{}
		for i, f := range e.facts {
			r := e.scored[i].Risk
			if f.removed || !f.open || r == 0 || f.subject == "" {
				continue
			}
			for _, o := range e.subj[f.subject].owners {
				if r > riskBy[o] {
					riskBy[o] = r
				}
			}
		}
		e.riskBy = riskBy
	}
	return nil
}

// compareScores orders by risk, highest first, then by finding id.
func compareScores(a, b Score) int {
	if a.Risk != b.Risk {
		if a.Risk > b.Risk {
			return -1
		}
		return 1
	}
	return strings.Compare(string(a.Finding), string(b.Finding))
}

// RiskOfNode returns the highest risk of the open findings on id or under
// it: findings on the node itself, on what it carries (a service's APIs'
// findings count for the API; its packages', image's and repository's for
// the service), and for an application or team those of its services.
func (e *Engine) RiskOfNode(ctx context.Context, id graph.ID) (float64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.scoreAll(ctx); err != nil {
		return 0, err
	}
	r := e.riskBy[id]
	if kindOf(id) == graph.Service {
		// Findings on the service's operations are under it too.
		ops, err := e.edgesOf(ctx, id, true, graph.Exposes)
		if err != nil {
			return 0, err
		}
		for _, op := range ops {
			r = math.Max(r, e.riskBy[op.To])
		}
	}
	return r, nil
}

// texts are a finding's factor details that do not depend on weights,
// built once when its facts are gathered.
type texts struct {
	sevCVSS   float64 // CVSS/10, 0 when unknown
	sevDetail string  // "CVSS 9.8 (CVE-…)" or the tool severity (lower case)
	exposure  string  // the way in, as text
	hops      string
	controls  string
	classes   []graph.DataClass // reachable data: impact's and the finding's own
	reaches   string            // "reaches PII, PCI"
	app       string            // "payments tier-1"
}

// subject is what every finding on one node shares: carriers, exposure,
// impact and their texts. Cached per node (many findings share a subject).
type subject struct {
	carriers []graph.ID
	exp      Exposure
	imp      *impactInfo
	exposure string
	hops     string
	controls string
	reaches  string
	app      string
	owners   []graph.ID // nodes a finding on it is "under": carriers, their applications and teams
}

func (e *Engine) subjectInfo(ctx context.Context, id graph.ID) (*subject, error) {
	if si, ok := e.subj[id]; ok {
		return si, nil
	}
	si := &subject{}
	var err error
	if si.carriers, err = e.carriers(ctx, id); err != nil {
		return nil, err
	}
	if si.exp, err = e.exposureOf(ctx, id); err != nil {
		return nil, err
	}
	if si.imp, err = e.impactOf(ctx, id, si.carriers); err != nil {
		return nil, err
	}
	exp := &si.exp
	switch {
	case !exp.Reachable && len(si.carriers) == 0 && needsCarrier(id):
		si.exposure = "not deployed: no running service carries " + string(kindOf(id))
	case !exp.Reachable:
		si.exposure = "not reachable from the Internet"
	case exp.Authenticated:
		si.exposure = fmt.Sprintf("internet-facing behind authentication, %d hops", exp.Hops) + pathText(exp.Path)
	default:
		si.exposure = fmt.Sprintf("internet-facing without authentication, %d hops", exp.Hops) + pathText(exp.Path)
	}
	if exp.ServiceHops > 0 {
		si.hops = fmt.Sprintf("%d service-to-service hops", exp.ServiceHops)
	}
	si.controls = strings.Join(exp.Controls, ", ")
	if len(si.imp.classes) > 0 {
		si.reaches = "reaches " + joinClasses(si.imp.classes)
	}
	if si.imp.app != "" {
		si.app = e.name(ctx, si.imp.app) + " " + si.imp.tier
	}
	// Owners: a data store's (or gateway's, …) finding is under the store
	// and its own applications, not under every client of the store.
	owners := []graph.ID{id}
	under := si.carriers
	if !carriesFindings(id) && kindOf(id) != graph.Service {
		under = []graph.ID{id}
	} else {
		owners = append(owners, si.carriers...)
	}
	for _, c := range under {
		apps, err := e.appsOf(ctx, c)
		if err != nil {
			return nil, err
		}
		owners = append(owners, apps...)
		teams, err := e.teamsOf(ctx, c)
		if err != nil {
			return nil, err
		}
		owners = append(owners, teams...)
	}
	si.owners = sortIDs(owners)
	if e.subj == nil {
		e.subj = map[graph.ID]*subject{}
	}
	e.subj[id] = si
	return si, nil
}

func (e *Engine) textsOf(ctx context.Context, f *findingFacts) *texts {
	t := &texts{}
	if c := f.props.Float("cvss"); c > 0 {
		t.sevCVSS, t.sevDetail = math.Min(c, 10)/10, fmt.Sprintf("CVSS %.1f", c)
	} else if f.vuln != nil && f.vuln.Props.Float("cvss") > 0 {
		c := f.vuln.Props.Float("cvss")
		t.sevCVSS, t.sevDetail = math.Min(c, 10)/10, fmt.Sprintf("CVSS %.1f (%s)", c, f.vuln.Name)
	} else {
		t.sevDetail = strings.ToLower(f.props.String("severity"))
		if t.sevDetail == "" && f.vuln != nil {
			t.sevDetail = strings.ToLower(f.vuln.Props.String("severity"))
		}
	}
	if f.subject == "" {
		t.exposure = "no subject in the graph (unresolved)"
		t.classes = sortClasses(slices.Clone(f.classes))
		if len(t.classes) > 0 {
			t.reaches = "reaches " + joinClasses(t.classes)
		}
		return t
	}
	si := e.subj[f.subject]
	t.exposure, t.hops, t.controls, t.app = si.exposure, si.hops, si.controls, si.app
	t.classes, t.reaches = si.imp.classes, si.reaches
	if len(f.classes) > 0 {
		// The finding's own classes (what the scanner saw it expose).
		t.classes = sortClasses(addClasses(slices.Clone(si.imp.classes), f.classes...))
		t.reaches = "reaches " + joinClasses(t.classes)
	}
	return t
}

// score computes one finding's score from its facts.
func (e *Engine) score(ctx context.Context, f *findingFacts) Score {
	p := &e.p
	t := f.txt
	s := Score{Finding: f.id, Open: f.open, Subject: f.subject, Factors: make([]Factor, 0, 10)}

	// Severity.
	sev, detail := t.sevCVSS, t.sevDetail
	if sev == 0 {
		if w, ok := p.Severity.Levels[t.sevDetail]; ok {
			sev, detail = w, "tool severity "+t.sevDetail
		} else {
			sev, detail = p.Severity.Unknown, "unknown severity"
		}
	}
	s.Factors = append(s.Factors, Factor{Name: "severity", Value: round4(sev), Detail: detail})
	if epss := e.epss(f); epss > 0 && p.Severity.EPSSWeight > 0 {
		before := sev
		sev += p.Severity.EPSSWeight * epss * (1 - sev)
		s.Factors = append(s.Factors, Factor{Name: "epss", Value: round4(sev - before),
			Detail: "EPSS probability " + strconv.FormatFloat(epss, 'f', 3, 64) + " raises severity"})
	}
	if e.kev(f) && p.Severity.KEVBoost > 0 {
		before := sev
		sev += p.Severity.KEVBoost * (1 - sev)
		s.Factors = append(s.Factors, Factor{Name: "kev", Value: round4(sev - before), Detail: "listed in CISA Known Exploited Vulnerabilities"})
	}

	// Exploitability.
	x := &p.Exploitability
	exp := &f.exp
	var ex float64
	switch {
	case f.subject == "", !exp.Reachable && len(f.carriers) == 0 && needsCarrier(f.subject):
		ex = x.NotDeployed
	case !exp.Reachable:
		ex = x.Unreachable
	case exp.Authenticated:
		ex = x.InternetAuthenticated
	default:
		ex = x.InternetUnauthenticated
	}
	s.Factors = append(s.Factors, Factor{Name: "exposure", Value: round4(ex), Detail: t.exposure})
	if exp.Reachable && exp.ServiceHops > 0 {
		d := math.Pow(x.HopDecay, float64(exp.ServiceHops))
		ex *= d
		s.Factors = append(s.Factors, Factor{Name: "hops", Value: round4(d), Detail: t.hops})
	}
	if exp.Reachable && len(exp.Controls) > 0 {
		d := math.Pow(x.ControlFactor, float64(len(exp.Controls)))
		ex *= d
		s.Factors = append(s.Factors, Factor{Name: "controls", Value: round4(d), Detail: t.controls})
	}
	env := exp.Env
	if env == "" {
		env = f.env
	}
	if env != "" {
		w, ok := x.Environments[env]
		if !ok {
			w, ok = x.Environments[strings.ToLower(env)]
		}
		if !ok {
			w = x.OtherEnvironment
		}
		ex *= w
		s.Factors = append(s.Factors, Factor{Name: "environment", Value: round4(w), Detail: env})
	}
	switch vex := f.props.String("vexState"); strings.ToLower(vex) {
	case "not_affected", "false_positive":
		ex *= x.VEXNotAffected
		d := "VEX " + vex
		if j := f.props.String("vexJustification"); j != "" {
			d += ": " + j
		}
		s.Factors = append(s.Factors, Factor{Name: "vex", Value: round4(x.VEXNotAffected), Detail: d})
	case "exploitable":
		if ex < x.VEXExploitableFloor {
			ex = x.VEXExploitableFloor
		}
		s.Factors = append(s.Factors, Factor{Name: "vex", Value: round4(x.VEXExploitableFloor), Detail: "VEX exploitable"})
	}

	// Impact.
	im := &p.Impact
	data, top := im.NoData, graph.DataClass("")
	for _, c := range t.classes {
		if w := im.DataClasses[c]; w > data {
			data, top = w, c
		}
	}
	if len(t.classes) > 1 {
		data = math.Min(1, data+im.BreadthBonus*float64(len(t.classes)-1))
	}
	dd := "reaches no classified data"
	ev, hasEv := f.imp.evidence[top]
	if top != "" {
		dd = t.reaches
		if hasEv && ev.store != "" {
			dd += " (" + string(top) + " in " + e.name(ctx, ev.store) + ")"
		}
	}
	s.Factors = append(s.Factors, Factor{Name: "data", Value: round4(data), Detail: dd})
	crit, cd := im.UnknownCriticality, "no application criticality"
	if f.imp.app != "" {
		if w, ok := im.Criticality[f.imp.tier]; ok {
			crit = w
		}
		cd = t.app
	}
	s.Factors = append(s.Factors, Factor{Name: "criticality", Value: round4(crit), Detail: cd})
	impact := data * crit

	if !f.open {
		s.Factors = append(s.Factors, Factor{Name: "status", Value: 0, Detail: "status " + f.props.String("status")})
	}
	s.Severity, s.Exploitability, s.Impact = round4(sev), round4(ex), round4(impact)
	if f.open {
		s.Risk = round2(100 * sev * ex * impact)
	}
	s.ReachableData = t.classes
	s.Path = exp.Path[:len(exp.Path):len(exp.Path)] // shared; appending copies
	if hasEv && top != "" && len(ev.hops) > 0 {
		s.Path = append(s.Path, ev.hops...)
	}
	return s
}

// decorate returns s with the open findings on each hop of its path, as of
// now (they change when findings do, so they are not cached with s).
func (e *Engine) decorate(s Score) Score {
	s.Path = slices.Clone(s.Path)
	for i := range s.Path {
		s.Path[i].Findings = e.findingsAt(s.Path[i].Node)
	}
	return s
}

func (e *Engine) decorateAll(ss []Score) []Score {
	out := make([]Score, len(ss))
	for i := range ss {
		out[i] = e.decorate(ss[i])
	}
	return out
}

// carriesFindings reports whether a finding on a node of id's kind is a
// weakness of the services carrying it: an operation's, a package's, an
// image's or a repository's finding is the service's. A data store's
// finding is not its clients'.
func carriesFindings(id graph.ID) bool {
	switch kindOf(id) {
	case graph.API, graph.Package, graph.Image, graph.Repository:
		return true
	}
	return false
}

// needsCarrier reports whether a subject of kind k only matters when a
// service runs it.
func needsCarrier(id graph.ID) bool {
	switch kindOf(id) {
	case graph.Package, graph.Image, graph.Repository:
		return true
	}
	return false
}

// baseSeverity is CVSS/10 when known (the finding's, else its
// vulnerability's), otherwise the tool severity's weight.
func (e *Engine) baseSeverity(f *findingFacts) (float64, string) {
	if c := f.props.Float("cvss"); c > 0 {
		return math.Min(c, 10) / 10, fmt.Sprintf("CVSS %.1f", c)
	}
	if f.vuln != nil {
		if c := f.vuln.Props.Float("cvss"); c > 0 {
			return math.Min(c, 10) / 10, fmt.Sprintf("CVSS %.1f (%s)", c, f.vuln.Name)
		}
	}
	sev := strings.ToLower(f.props.String("severity"))
	if sev == "" && f.vuln != nil {
		sev = strings.ToLower(f.vuln.Props.String("severity"))
	}
	if w, ok := e.p.Severity.Levels[sev]; ok {
		return w, "tool severity " + sev
	}
	return e.p.Severity.Unknown, "unknown severity"
}

func (e *Engine) epss(f *findingFacts) float64 {
	if v := f.props.Float("epss"); v > 0 {
		return math.Min(v, 1)
	}
	if f.vuln != nil {
		return math.Min(f.vuln.Props.Float("epss"), 1)
	}
	return 0
}

func (e *Engine) kev(f *findingFacts) bool {
	return f.props.Bool("kev") || (f.vuln != nil && f.vuln.Props.Bool("kev"))
}

// findingsAt lists the open findings on a node or carried by it (a
// service's package, image and repository findings), the first
// MaxHopFindings by id. Only known once findings are gathered.
func (e *Engine) findingsAt(id graph.ID) []graph.ID {
	return e.findingsOn(id).ids
}

func pathText(p []Hop) string {
	if len(p) < 2 {
		return ""
	}
	names := make([]string, len(p))
	for i, h := range p {
		names[i] = h.Name
	}
	return ": " + strings.Join(names, " → ")
}

func joinClasses(cs []graph.DataClass) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

func round4(x float64) float64 { return math.Round(x*10000) / 10000 }
