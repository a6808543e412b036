package scoring

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Risk is one root cause: the open findings it explains, scored by the
// worst of them.
type Risk struct {
	// ID is stable for the same root cause: "risk:" and a hash of the key.
	ID    string  `json:"id"`
	Title string  `json:"title"`
	Risk  float64 `json:"risk"`
	// Key is the root cause: "vulnerability:<advisory>" (one fix for every
	// service carrying it) or "rule:<tool>/<rule>@<subject>".
	Key     string   `json:"key"`
	Subject graph.ID `json:"subject,omitempty"`
	// Findings: every open finding of the root cause, worst first.
	Findings []graph.ID `json:"findings"`
	// Subjects: the nodes those findings sit on (sorted).
	Subjects []graph.ID `json:"subjects"`
	// Toxic: an exploitable finding on a path to sensitive data (PCI, PHI,
	// CREDENTIALS or PII): the combination the product exists to surface.
	Toxic       bool              `json:"toxic"`
	Path        []Hop             `json:"path,omitempty"`
	DataClasses []graph.DataClass `json:"dataClasses,omitempty"`
	Factors     []Factor          `json:"factors"`
}

// sensitive classes make a reachable finding a toxic combination.
var sensitive = []graph.DataClass{graph.PCI, graph.PHI, graph.Credentials, graph.PII}

// TopRisks returns the limit highest risks (default 3), each root cause
// once: findings of one advisory are one risk wherever they sit (one
// upgrade fixes them); other findings are grouped by tool rule and subject
// (several tools reporting the same thing). Ranked by risk, then id.
func (e *Engine) TopRisks(ctx context.Context, limit int) ([]Risk, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if limit <= 0 {
		limit = 3
	}
	if err := e.scoreAll(ctx); err != nil {
		return nil, err
	}
	groups := map[string]*Risk{}
	var order []string
	for _, s := range e.ranked {
		if !s.Open || s.Risk <= 0 {
			continue
		}
		f := e.facts[e.idx[s.Finding]]
		key := rootCause(f)
		r, ok := groups[key]
		if !ok {
			sum := sha256.Sum256([]byte(key))
			r = &Risk{ID: "risk:" + hex.EncodeToString(sum[:8]), Key: key, Risk: s.Risk, Subject: s.Subject,
				Path: e.decorate(s).Path, DataClasses: s.ReachableData, Factors: slices.Clone(s.Factors)}
			r.Toxic = s.Exploitability >= e.p.ExploitableAbove && slices.ContainsFunc(s.ReachableData, func(c graph.DataClass) bool {
				return slices.Contains(sensitive, c)
			})
			r.Title = e.riskTitle(ctx, f, s, r.Toxic)
			groups[key] = r
			order = append(order, key)
		}
		r.Findings = append(r.Findings, s.Finding)
		if s.Subject != "" {
			r.Subjects = append(r.Subjects, s.Subject)
		}
	}
	out := make([]Risk, 0, len(order))
	for _, k := range order {
		r := groups[k]
		r.Subjects = sortIDs(r.Subjects)
		if len(r.Subjects) > 1 {
			r.Title += fmt.Sprintf(" (%d places)", len(r.Subjects))
		}
		out = append(out, *r)
	}
	slices.SortStableFunc(out, func(a, b Risk) int {
		if a.Risk != b.Risk {
			if a.Risk > b.Risk {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// rootCause is the grouping key of a finding.
func rootCause(f *findingFacts) string {
	if f.vuln != nil {
		return "vulnerability:" + f.vuln.Name
	}
	if adv := f.props.String("vulnerability"); adv != "" {
		return "vulnerability:" + strings.ToUpper(adv)
	}
	return "rule:" + f.props.String("tool") + "/" + f.props.String("rule") + "@" + string(f.subject)
}

func (e *Engine) riskTitle(ctx context.Context, f *findingFacts, s Score, toxic bool) string {
	t := f.name
	if f.subject != "" {
		t += " on " + e.name(ctx, f.subject)
		if f.env != "" {
			t += " (" + f.env + ")"
		}
	}
	if toxic {
		how := "reachable"
		if f.exp.Reachable && !f.exp.Authenticated {
			how = "reachable from the Internet without authentication"
		} else if f.exp.Reachable {
			how = "reachable from the Internet behind authentication"
		}
		var cs []graph.DataClass
		for _, c := range s.ReachableData {
			if slices.Contains(sensitive, c) {
				cs = append(cs, c)
			}
		}
		t += ", " + how + ", reaches " + joinClasses(cs)
	}
	return t
}

// KPIs are the security program's numbers.
type KPIs struct {
	Findings int `json:"findings"`
	Open     int `json:"open"`
	// OpenExploitableReachable: open findings reachable from the Internet
	// with exploitability at or above the profile's exploitableAbove.
	OpenExploitableReachable int `json:"openExploitableReachable"`
	// CriticalApplicationRisk: the highest risk among the applications of
	// the most critical tier present (tier-1 by default).
	CriticalApplicationRisk float64   `json:"criticalApplicationRisk"`
	Applications            []AppRisk `json:"applications"`
	Fixed                   int       `json:"fixed"`
	// FixRate = fixed / (open + fixed).
	FixRate float64 `json:"fixRate"`
	// MTTRHours: mean hours from first seen to fixedAt over the fixed
	// findings that record fixedAt (MTTRSamples of them).
	MTTRHours   float64 `json:"mttrHours"`
	MTTRSamples int     `json:"mttrSamples"`
	// AutoTriaged: open findings scoring below autoTriageBelow, which need
	// no human look; AutoTriagedShare is their share of the open ones.
	AutoTriaged      int     `json:"autoTriaged"`
	AutoTriagedShare float64 `json:"autoTriagedShare"`
	Accepted         int     `json:"accepted"`
	FalsePositive    int     `json:"falsePositive"`
}

// AppRisk is one application's risk.
type AppRisk struct {
	Application graph.ID `json:"application"`
	Name        string   `json:"name"`
	Criticality string   `json:"criticality"`
	Risk        float64  `json:"risk"`
}

// KPIs computes the program KPIs.
func (e *Engine) KPIs(ctx context.Context) (KPIs, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.scoreAll(ctx); err != nil {
		return KPIs{}, err
	}
	var k KPIs
	var mttr time.Duration
	for i, f := range e.facts {
		if f.removed {
			continue
		}
		k.Findings++
		s := &e.scored[i]
		switch st := strings.ToLower(f.props.String("status")); {
		case f.open:
			k.Open++
			if f.exp.Reachable && s.Exploitability >= e.p.ExploitableAbove {
				k.OpenExploitableReachable++
			}
			if s.Risk < e.p.AutoTriageBelow {
				k.AutoTriaged++
			}
		case st == "fixed":
			k.Fixed++
			if at, err := time.Parse(time.RFC3339, f.props.String("fixedAt")); err == nil {
				opened := f.first
				// The first status change, if recorded, may predate the
				// graph's first sighting (history imported from a tracker).
				if h := f.props.Strings("statusHistory"); len(h) > 0 {
					if ts, _, _ := strings.Cut(strings.TrimSpace(h[0]), " "); ts != "" {
						if t, err := time.Parse(time.RFC3339, ts); err == nil && (opened.IsZero() || t.Before(opened)) {
							opened = t
						}
					}
				}
				if !opened.IsZero() && !at.Before(opened) {
					mttr += at.Sub(opened)
					k.MTTRSamples++
				}
			}
		case st == "accepted":
			k.Accepted++
		case st == "false_positive":
			k.FalsePositive++
		}
	}
	if k.Open+k.Fixed > 0 {
		k.FixRate = round4(float64(k.Fixed) / float64(k.Open+k.Fixed))
	}
	if k.MTTRSamples > 0 {
		k.MTTRHours = round2(mttr.Hours() / float64(k.MTTRSamples))
	}
	if k.Open > 0 {
		k.AutoTriagedShare = round4(float64(k.AutoTriaged) / float64(k.Open))
	}
	top := math.Inf(-1)
	err := e.eachNode(ctx, graph.NodeFilter{Kinds: []graph.Kind{graph.Application}}, func(n *graph.Node) error {
		tier := n.Props.String("criticality")
		ar := AppRisk{Application: n.ID, Name: n.Name, Criticality: tier, Risk: e.riskBy[n.ID]}
		k.Applications = append(k.Applications, ar)
		if w, ok := e.p.Impact.Criticality[tier]; ok && w > top {
			top = w
		}
		return nil
	})
	if err != nil {
		return k, err
	}
	for _, a := range k.Applications {
		if w, ok := e.p.Impact.Criticality[a.Criticality]; ok && w == top {
			k.CriticalApplicationRisk = math.Max(k.CriticalApplicationRisk, a.Risk)
		}
	}
	slices.SortStableFunc(k.Applications, func(a, b AppRisk) int {
		if a.Risk != b.Risk {
			if a.Risk > b.Risk {
				return -1
			}
			return 1
		}
		return strings.Compare(string(a.Application), string(b.Application))
	})
	return k, nil
}
