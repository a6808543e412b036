package aws

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// network is what decides reachability in one region: security group
// ingress rules, and which subnets route to an internet gateway.
type network struct {
	sgs    map[string]ec2types.SecurityGroup
	public map[string]bool // subnet id → its route table sends 0.0.0.0/0 or ::/0 to an igw-
	known  map[string]bool // subnet ids EC2 listed
}

func newNetwork(r *regionInv) *network {
	n := &network{sgs: map[string]ec2types.SecurityGroup{}, public: map[string]bool{}, known: map[string]bool{}}
	for _, sg := range r.sgs {
		n.sgs[aws.ToString(sg.GroupId)] = sg
	}
	igwTable := map[string]bool{}
	mainPublic := map[string]bool{} // vpc → its main route table routes to an IGW
	associated := map[string]bool{}
	for _, rt := range r.routeTables {
		for _, ro := range rt.Routes {
			dest := aws.ToString(ro.DestinationCidrBlock)
			if dest == "" {
				dest = aws.ToString(ro.DestinationIpv6CidrBlock)
			}
			if (dest == "0.0.0.0/0" || dest == "::/0") && strings.HasPrefix(aws.ToString(ro.GatewayId), "igw-") {
				igwTable[aws.ToString(rt.RouteTableId)] = true
			}
		}
	}
	for _, rt := range r.routeTables {
		pub := igwTable[aws.ToString(rt.RouteTableId)]
		for _, a := range rt.Associations {
			if aws.ToBool(a.Main) {
				mainPublic[aws.ToString(rt.VpcId)] = pub
			}
			if s := aws.ToString(a.SubnetId); s != "" {
				associated[s] = true
				n.public[s] = pub
			}
		}
	}
	// A subnet without an explicit association uses its VPC's main table.
	for _, s := range r.subnets {
		id := aws.ToString(s.SubnetId)
		n.known[id] = true
		if !associated[id] {
			n.public[id] = mainPublic[aws.ToString(s.VpcId)]
		}
	}
	return n
}

// anyPublic says whether one of subnets routes to an internet gateway;
// known is false when EC2 listed none of them (not read, or none given).
func (n *network) anyPublic(subnets []string) (public, known bool) {
	for _, s := range subnets {
		if !n.known[s] {
			continue
		}
		known = true
		if n.public[s] {
			return true, true
		}
	}
	return false, known
}

// exposure is what the security groups of one resource admit from anywhere.
type exposure struct {
	sgs   []string // the groups, "sg-… (name)"
	world []string // rules admitting 0.0.0.0/0 or ::/0 ("tcp:22", "all:*")
	ports []int64  // first port of each such rule; 0 = every port
	spans [][2]int64
}

func (n *network) exposure(ids []string) exposure {
	var e exposure
	for _, id := range ids {
		sg, ok := n.sgs[id]
		if !ok {
			e.sgs = append(e.sgs, id)
			continue
		}
		e.sgs = append(e.sgs, id+" ("+aws.ToString(sg.GroupName)+")")
		for _, perm := range sg.IpPermissions {
			world := false
			for _, r := range perm.IpRanges {
				if aws.ToString(r.CidrIp) == "0.0.0.0/0" {
					world = true
				}
			}
			for _, r := range perm.Ipv6Ranges {
				if aws.ToString(r.CidrIpv6) == "::/0" {
					world = true
				}
			}
			if !world {
				continue
			}
			proto := strings.ToLower(aws.ToString(perm.IpProtocol))
			from, to := int64(aws.ToInt32(perm.FromPort)), int64(aws.ToInt32(perm.ToPort))
			switch {
			case proto == "-1":
				e.world = append(e.world, "all:*")
				e.ports = append(e.ports, 0)
				e.spans = append(e.spans, [2]int64{0, 65535})
			case from == to:
				e.world = append(e.world, fmt.Sprintf("%s:%d", proto, from))
				e.ports = append(e.ports, from)
				e.spans = append(e.spans, [2]int64{from, to})
			default:
				e.world = append(e.world, fmt.Sprintf("%s:%d-%d", proto, from, to))
				e.ports = append(e.ports, from)
				e.spans = append(e.spans, [2]int64{from, to})
			}
		}
	}
	sort.Strings(e.world)
	e.world = slices.Compact(e.world)
	slices.Sort(e.ports)
	e.ports = slices.Compact(e.ports)
	return e
}

// opens reports whether the world may reach port (0 = any port).
func (e exposure) opens(port int64) bool {
	for _, s := range e.spans {
		if port == 0 || (s[0] <= port && port <= s[1]) {
			return true
		}
	}
	return false
}
