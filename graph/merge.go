package graph

import (
	"slices"
	"time"
)

// The merge rules every backend applies when a batch upserts an element
// that already exists (the contract suite checks them):
//
//   - kind never changes (an id encodes its kind);
//   - name and env: a non-empty new value replaces the old one;
//   - props: merged key by key, new values win, a nil value removes the key;
//   - dataClasses: union (a class is removed only with the element);
//   - sources: union, newest first, at most MaxSources;
//   - firstSeen keeps the earliest, lastSeen the latest observation;
//   - claims: the batch's scope now claims the element in the batch's run.
//
// Within one batch, deletes are applied first, then nodes, then edges, so a
// batch can delete and re-create an element.

// MergeNode returns the stored form of upd merged into old (nil when new),
// claimed by c and observed at seen.
func MergeNode(old *Node, upd *Node, c Claim, seen time.Time) Node {
	n := *upd
	first, last := observed(upd.FirstSeen, upd.LastSeen, seen)
	n.FirstSeen, n.LastSeen = first, last
	if old == nil {
		n.DataClasses = mergeClasses(nil, upd.DataClasses)
		n.Props = mergeProps(nil, upd.Props)
		n.Sources = mergeSources(nil, upd.Sources)
		n.Claims = []Claim{c}
		return n
	}
	if n.Name == "" {
		n.Name = old.Name
	}
	if n.Env == "" {
		n.Env = old.Env
	}
	n.Props = mergeProps(old.Props, upd.Props)
	n.DataClasses = mergeClasses(old.DataClasses, upd.DataClasses)
	n.Sources = mergeSources(old.Sources, upd.Sources)
	n.FirstSeen, n.LastSeen = widen(old.FirstSeen, old.LastSeen, first, last)
	n.Claims = withClaim(old.Claims, c)
	return n
}

// MergeEdge is MergeNode for edges.
func MergeEdge(old *Edge, upd *Edge, c Claim, seen time.Time) Edge {
	e := *upd
	first, last := observed(upd.FirstSeen, upd.LastSeen, seen)
	e.FirstSeen, e.LastSeen = first, last
	if old == nil {
		e.DataClasses = mergeClasses(nil, upd.DataClasses)
		e.Props = mergeProps(nil, upd.Props)
		e.Sources = mergeSources(nil, upd.Sources)
		e.Claims = []Claim{c}
		return e
	}
	e.Props = mergeProps(old.Props, upd.Props)
	e.DataClasses = mergeClasses(old.DataClasses, upd.DataClasses)
	e.Sources = mergeSources(old.Sources, upd.Sources)
	e.FirstSeen, e.LastSeen = widen(old.FirstSeen, old.LastSeen, first, last)
	e.Claims = withClaim(old.Claims, c)
	return e
}

func observed(first, last, seen time.Time) (time.Time, time.Time) {
	if first.IsZero() {
		first = seen
	}
	if last.IsZero() {
		last = seen
	}
	if last.Before(first) {
		last = first
	}
	return first.UTC(), last.UTC()
}

func widen(oldFirst, oldLast, first, last time.Time) (time.Time, time.Time) {
	if !oldFirst.IsZero() && oldFirst.Before(first) {
		first = oldFirst
	}
	if oldLast.After(last) {
		last = oldLast
	}
	return first, last
}

func withClaim(claims []Claim, c Claim) []Claim {
	out := make([]Claim, 0, len(claims)+1)
	for _, o := range claims {
		if o.Scope != c.Scope {
			out = append(out, o)
		}
	}
	out = append(out, c)
	slices.SortFunc(out, func(a, b Claim) int {
		if a.Scope.Source != b.Scope.Source {
			if a.Scope.Source < b.Scope.Source {
				return -1
			}
			return 1
		}
		if a.Scope.Key < b.Scope.Key {
			return -1
		} else if a.Scope.Key > b.Scope.Key {
			return 1
		}
		return 0
	})
	return out
}

// SweepClaims applies a sweep of scope after run to an element's claims: a
// claim by scope from an older run is dropped. It returns the remaining
// claims, whether they changed, and whether the element is now unclaimed and
// must be removed. Elements the scope never claimed are untouched.
func SweepClaims(claims []Claim, scope Scope, run RunID) (rest []Claim, changed, remove bool) {
	for i, c := range claims {
		if c.Scope != scope {
			continue
		}
		if c.Run == run {
			return claims, false, false
		}
		rest = append(slices.Clone(claims[:i]), claims[i+1:]...)
		return rest, true, len(rest) == 0
	}
	return claims, false, false
}
