package classify

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/riskgraph/riskgraph/graph"
)

// Tag is one data class found for one field, with why and how sure.
type Tag struct {
	Class      graph.DataClass
	Field      string  // the field, column or key as written
	Reason     string  // "name", "format:email", "example:card-number", "annotation", "context:card", …
	Confidence float64 // 0..1; tags below Threshold are kept as evidence only
}

// Threshold is the confidence from which a tag counts as a data class of
// the element. Weaker tags are evidence only.
const Threshold = 0.6

// Tokens splits a field name into lower-case words: snake_case, kebab-case,
// camelCase, PascalCase, dotted paths and digits ("icd10Code" → icd 10 code,
// "HTTPServerURL" → http server url).
func Tokens(name string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsDigit(r):
			if len(cur) > 0 && !unicode.IsDigit(cur[len(cur)-1]) {
				flush()
			}
			cur = append(cur, r)
		case unicode.IsUpper(r):
			if len(cur) > 0 {
				prev := cur[len(cur)-1]
				nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					flush()
				}
			}
			cur = append(cur, r)
		default:
			if len(cur) > 0 && unicode.IsDigit(cur[len(cur)-1]) {
				flush()
			}
			cur = append(cur, r)
		}
	}
	flush()
	return out
}

// exact maps a whole normalised name (tokens joined) to a class. These are
// unambiguous on their own.
var exact = map[string]graph.DataClass{
	// PII
	"email": graph.PII, "emailaddress": graph.PII, "mail": graph.PII, "useremail": graph.PII,
	"phone": graph.PII, "phonenumber": graph.PII, "telephone": graph.PII, "mobile": graph.PII,
	"mobilenumber": graph.PII, "msisdn": graph.PII, "cellphone": graph.PII, "fax": graph.PII,
	"fullname": graph.PII, "firstname": graph.PII, "lastname": graph.PII, "surname": graph.PII,
	"givenname": graph.PII, "familyname": graph.PII, "middlename": graph.PII, "maidenname": graph.PII,
	"legalname": graph.PII, "username": graph.PII, "customername": graph.PII, "patientname": graph.PII,
	"ownername": graph.PII, "contactname": graph.PII, "recipientname": graph.PII, "personname": graph.PII,
	"dob": graph.PII, "dateofbirth": graph.PII, "birthdate": graph.PII, "birthday": graph.PII, "birthdt": graph.PII,
	"ssn": graph.PII, "socialsecuritynumber": graph.PII, "sin": graph.PII, "nino": graph.PII,
	"nationalid": graph.PII, "nationalidnumber": graph.PII, "taxid": graph.PII, "tin": graph.PII,
	"passport": graph.PII, "passportnumber": graph.PII, "driverslicense": graph.PII, "driverlicense": graph.PII,
	"driverslicensenumber": graph.PII, "licensenumber": graph.PII,
	"address": graph.PII, "streetaddress": graph.PII, "street": graph.PII, "addressline": graph.PII,
	"homeaddress": graph.PII, "shippingaddress": graph.PII, "billingaddress": graph.PII, "mailingaddress": graph.PII,
	"postalcode": graph.PII, "postcode": graph.PII, "zip": graph.PII, "zipcode": graph.PII,
	"ipaddress": graph.PII, "ip": graph.PII, "clientip": graph.PII, "remoteaddr": graph.PII, "ipaddr": graph.PII,
	"useragent": graph.PII, "latitude": graph.PII, "longitude": graph.PII, "lat": graph.PII, "lng": graph.PII,
	"geolocation": graph.PII, "gpslocation": graph.PII, "gender": graph.PII, "sex": graph.PII,
	"nationality": graph.PII, "ethnicity": graph.PII, "vin": graph.PII, "deviceid": graph.PII,
	// PCI
	"cardnumber": graph.PCI, "creditcardnumber": graph.PCI, "ccnumber": graph.PCI, "pan": graph.PCI,
	"cvv": graph.PCI, "cvv2": graph.PCI, "cvc": graph.PCI, "cvc2": graph.PCI, "ccv": graph.PCI, "csc": graph.PCI,
	"cardcvv": graph.PCI, "creditcardcvv": graph.PCI, "securitycode": graph.PCI, "cardsecuritycode": graph.PCI,
	"expirymonth": graph.PCI, "expiryyear": graph.PCI, "expirationmonth": graph.PCI, "expirationyear": graph.PCI,
	"expmonth": graph.PCI, "expyear": graph.PCI, "cardexpiry": graph.PCI, "cardexpiration": graph.PCI,
	"expirydate": graph.PCI, "expirationdate": graph.PCI, "creditcardexpirationmonth": graph.PCI,
	"creditcardexpirationyear": graph.PCI, "cardholder": graph.PCI, "cardholdername": graph.PCI,
	"cardownername": graph.PCI, "nameoncard": graph.PCI, "cardfingerprint": graph.PCI, "longnum": graph.PCI,
	"creditcard": graph.PCI, "track1": graph.PCI, "track2": graph.PCI, "trackdata": graph.PCI,
	// PHI
	"diagnosis": graph.PHI, "diagnoses": graph.PHI, "icd10": graph.PHI, "icd10code": graph.PHI, "icdcode": graph.PHI,
	"medicalrecordnumber": graph.PHI, "mrn": graph.PHI, "medicalrecord": graph.PHI, "healthrecord": graph.PHI,
	"insurancememberid": graph.PHI, "insuranceid": graph.PHI, "insurancenumber": graph.PHI,
	"insuranceprovider": graph.PHI, "insurancepolicynumber": graph.PHI, "memberid": graph.PHI,
	"clinicalnotes": graph.PHI, "medication": graph.PHI, "medications": graph.PHI, "prescription": graph.PHI,
	"prescriptions": graph.PHI, "allergies": graph.PHI, "allergy": graph.PHI, "labresults": graph.PHI,
	"labresult": graph.PHI, "reasonforvisit": graph.PHI, "symptoms": graph.PHI, "treatment": graph.PHI,
	"dosage": graph.PHI, "bloodtype": graph.PHI, "healthcondition": graph.PHI, "medicalhistory": graph.PHI,
	// CREDENTIALS
	"password": graph.Credentials, "passwd": graph.Credentials, "pwd": graph.Credentials, "pass": graph.Credentials,
	"passphrase": graph.Credentials, "passwordhash": graph.Credentials, "hashedpassword": graph.Credentials,
	"newpassword": graph.Credentials, "oldpassword": graph.Credentials, "confirmpassword": graph.Credentials,
	"secret": graph.Credentials, "clientsecret": graph.Credentials, "apikey": graph.Credentials,
	"apisecret": graph.Credentials, "accesskey": graph.Credentials, "secretkey": graph.Credentials,
	"privatekey": graph.Credentials, "signingkey": graph.Credentials, "accesstoken": graph.Credentials,
	"refreshtoken": graph.Credentials, "idtoken": graph.Credentials, "token": graph.Credentials,
	"bearertoken": graph.Credentials, "authtoken": graph.Credentials, "sessiontoken": graph.Credentials,
	"sessionid": graph.Credentials, "otp": graph.Credentials, "mfacode": graph.Credentials,
	"totp": graph.Credentials, "mfasecret": graph.Credentials, "otpsecret": graph.Credentials,
	"pin": graph.Credentials, "salt": graph.Credentials, "credentials": graph.Credentials,
	"jwt": graph.Credentials, "jwtsecret": graph.Credentials, "recoverycodes": graph.Credentials,
	"recoverycode": graph.Credentials, "backupcodes": graph.Credentials,
	// FINANCIAL
	"iban": graph.Financial, "accountnumber": graph.Financial, "bankaccount": graph.Financial,
	"bankaccountnumber": graph.Financial, "routingnumber": graph.Financial, "sortcode": graph.Financial,
	"swift": graph.Financial, "swiftcode": graph.Financial, "bic": graph.Financial, "aba": graph.Financial,
	"abanumber": graph.Financial,
}

// neutralHeads end a name that is about a sensitive thing without holding
// it: emailVerified, phoneType, passwordPolicy, cardId, cardLast4.
var neutralHeads = map[string]bool{
	"id": true, "ids": true, "uuid": true, "type": true, "types": true, "kind": true, "status": true,
	"verified": true, "enabled": true, "count": true, "template": true, "templates": true, "policy": true,
	"format": true, "length": true, "flag": true, "required": true, "valid": true, "validated": true,
	"at": true, "on": true, "sent": true, "updated": true, "changed": true, "expired": true, "reset": true,
	"last": true, "last4": true, "brand": true, "scheme": true, "network": true, "url": true, "uri": true,
	"link": true, "strength": true, "hint": true, "attempts": true, "in": true, "ttl": true, "expires": true,
	"expiry": true, "expiresat": true, "subject": true, "key": true, "keys": true, "name": true, "field": true,
	"label": true, "index": true, "mask": true, "masked": true, "country": true, "provider": true,
	"opt": true, "optin": true, "consent": true, "visible": true, "public": true, "domain": true,
}

// heads maps the last word of a name to a class when the words before it do
// not turn it into something else (see neutral qualifiers below).
var heads = map[string]struct {
	c    graph.DataClass
	conf float64
}{
	"email": {graph.PII, 0.9}, "phone": {graph.PII, 0.85}, "telephone": {graph.PII, 0.85}, "mobile": {graph.PII, 0.7},
	"ssn": {graph.PII, 0.95}, "dob": {graph.PII, 0.9}, "birthdate": {graph.PII, 0.9}, "birthday": {graph.PII, 0.9},
	"surname": {graph.PII, 0.85}, "firstname": {graph.PII, 0.9}, "lastname": {graph.PII, 0.9},
	"address": {graph.PII, 0.8}, "street": {graph.PII, 0.8}, "postcode": {graph.PII, 0.8},
	"zipcode": {graph.PII, 0.8}, "latitude": {graph.PII, 0.7}, "longitude": {graph.PII, 0.7},
	"passport": {graph.PII, 0.9},
	"cvv":      {graph.PCI, 0.95}, "cvc": {graph.PCI, 0.95}, "ccv": {graph.PCI, 0.95}, "cardholder": {graph.PCI, 0.9},
	"diagnosis": {graph.PHI, 0.9}, "diagnoses": {graph.PHI, 0.9}, "medication": {graph.PHI, 0.85},
	"medications": {graph.PHI, 0.85}, "prescription": {graph.PHI, 0.85}, "allergies": {graph.PHI, 0.85},
	"symptoms": {graph.PHI, 0.8},
	"password": {graph.Credentials, 0.95}, "passwd": {graph.Credentials, 0.95}, "passphrase": {graph.Credentials, 0.9},
	"secret": {graph.Credentials, 0.85}, "token": {graph.Credentials, 0.8}, "apikey": {graph.Credentials, 0.9},
	"privatekey": {graph.Credentials, 0.95}, "otp": {graph.Credentials, 0.85}, "credentials": {graph.Credentials, 0.85},
	"credential": {graph.Credentials, 0.85},
	"iban":       {graph.Financial, 0.95},
}

// notSecretTokens qualify "token"/"secret" words that are not credentials.
var notSecretTokens = map[string]bool{"csrf": false, "pagination": true, "page": true, "next": true,
	"continuation": true, "cursor": true, "sync": true, "idempotency": true, "request": true, "trace": true}

// personWords turn a following "name" into a person's name.
var personWords = map[string]bool{"user": true, "customer": true, "patient": true, "person": true,
	"contact": true, "owner": true, "member": true, "employee": true, "author": true, "recipient": true,
	"sender": true, "buyer": true, "first": true, "last": true, "full": true, "given": true, "family": true,
	"middle": true, "legal": true, "maiden": true, "nick": false, "account": true, "holder": true,
	"beneficiary": true, "guardian": true, "parent": true, "student": true, "driver": true, "passenger": true}

// cardWords mark a card context: "card.number", "creditCard.expires".
var cardWords = map[string]bool{"card": true, "creditcard": true, "cc": true, "paymentcard": true, "debitcard": true}

// healthWords mark a health context for generic words such as "notes" or
// "document" (see medicalGeneric).
var healthWords = []string{"patient", "medical", "clinical", "healthcare", "health care", "health record",
	"diagnos", "prescription", "treatment", "telehealth", "hospital", "clinic", "lab result", "lab-result"}

var medicalGeneric = map[string]bool{"document": true, "documents": true, "notes": true, "note": true,
	"results": true, "report": true, "reports": true, "attachment": true, "attachments": true, "scan": true,
	"history": true, "condition": true, "conditions": true, "record": true, "records": true}

// Name classifies a field name. path is the dotted path of the field
// ("card.longNum"); the parents give context. health says the element is
// about health care (a patient portal's operation), which makes generic
// words like "document" or "notes" PHI.
func Name(path string, health bool) []Tag {
	parts := strings.Split(path, ".")
	leaf := parts[len(parts)-1]
	toks := Tokens(leaf)
	for len(toks) > 1 && isDigits(toks[len(toks)-1]) && toks[len(toks)-2] != "icd" && toks[len(toks)-2] != "track" && toks[len(toks)-2] != "cvv" && toks[len(toks)-2] != "cvc" {
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		return nil
	}
	joined := strings.Join(toks, "")
	// Parents count in the singular: a SQL table is usually plural
	// (customers.name, credit_cards.number).
	var parentToks []string
	for _, p := range parts[:len(parts)-1] {
		for _, t := range Tokens(p) {
			parentToks = append(parentToks, singular(t))
		}
	}
	tag := func(c graph.DataClass, reason string, conf float64) []Tag {
		return []Tag{{Class: c, Field: path, Reason: reason, Confidence: conf}}
	}
	head := toks[len(toks)-1]
	// Masked or partial card data is not cardholder data.
	if containsAny(toks, "last4", "last", "masked", "mask", "bin", "brand", "type") && (containsAny(toks, "card") || inCard(parentToks)) {
		return nil
	}
	if c, ok := exact[joined]; ok {
		if joined == "token" || joined == "secret" || joined == "pass" || joined == "pin" {
			if containsAny(parentToks, "page", "pagination", "next", "cursor") {
				return nil
			}
			return tag(c, "name", 0.75)
		}
		if joined == "memberid" && !(health || containsAny(parentToks, "insurance")) {
			return nil
		}
		if (joined == "ip" || joined == "lat" || joined == "lng" || joined == "mail" || joined == "zip" || joined == "sin" || joined == "tin" || joined == "aba") && len(parentToks) == 0 {
			return tag(c, "name", 0.65)
		}
		return tag(c, "name", 0.95)
	}
	// Card context: card.number, card.expires, creditCard.ccv.
	if inCard(parentToks) || (len(toks) > 1 && cardWords[toks[0]]) {
		rest := toks
		if len(toks) > 1 && cardWords[toks[0]] {
			rest = toks[1:]
		}
		r := strings.Join(rest, "")
		switch {
		case r == "number" || r == "num" || r == "no" || r == "longnum" || r == "pan" || r == "cardnumber":
			return tag(graph.PCI, "context:card", 0.9)
		case strings.HasPrefix(r, "exp") || r == "expires" || r == "validthru":
			return tag(graph.PCI, "context:card", 0.85)
		case r == "cvv" || r == "cvc" || r == "ccv" || r == "securitycode" || r == "csc":
			return tag(graph.PCI, "context:card", 0.95)
		case r == "name" || r == "holder" || r == "holdername" || r == "ownername" || r == "owner":
			return tag(graph.PCI, "context:card", 0.85)
		case r == "fingerprint":
			return tag(graph.PCI, "context:card", 0.7)
		}
	}
	// Address context: address.street, address.number, address.city.
	if containsAny(parentToks, "address", "addresses") && !neutralHeads[head] && head != "country" && head != "type" {
		return tag(graph.PII, "context:address", 0.7)
	}
	if neutralHeads[head] {
		if head == "name" && len(toks) >= 2 && personWords[toks[len(toks)-2]] {
			return tag(graph.PII, "name", 0.85)
		}
		if head == "name" && len(toks) == 1 && containsAny(parentToks, "user", "customer", "patient", "person", "owner", "contact", "author", "member", "employee", "recipient") {
			return tag(graph.PII, "context:person", 0.75)
		}
		if head == "key" && len(toks) >= 2 {
			switch toks[len(toks)-2] {
			case "api", "private", "secret", "access", "signing", "encryption", "client", "master", "ssh":
				return tag(graph.Credentials, "name", 0.9)
			}
		}
		return nil
	}
	if h, ok := heads[head]; ok {
		if (head == "token" || head == "secret") && len(toks) >= 2 && notSecretTokens[toks[len(toks)-2]] {
			return nil
		}
		return tag(h.c, "name", h.conf)
	}
	// Compound heads spread over two words.
	if len(toks) >= 2 {
		two := toks[len(toks)-2] + head
		if h, ok := heads[two]; ok {
			return tag(h.c, "name", h.conf)
		}
		if c, ok := exact[two]; ok && two != "memberid" {
			return tag(c, "name", 0.85)
		}
	}
	if (strings.Contains(joined, "password") || strings.Contains(joined, "passwd")) && !strings.Contains(joined, "passwordless") {
		return tag(graph.Credentials, "name", 0.8)
	}
	if toks[0] == "insurance" || toks[0] == "medical" || toks[0] == "clinical" || toks[0] == "diagnosis" {
		return tag(graph.PHI, "name", 0.75)
	}
	if health && medicalGeneric[head] {
		return tag(graph.PHI, "context:health", 0.7)
	}
	return nil
}

// singular returns the singular of a plural English word, for the words
// that matter here (users → user, people → person, addresses → address,
// companies → company); other words come back unchanged.
func singular(w string) string {
	switch {
	case w == "people" || w == "persons":
		return "person"
	case len(w) > 4 && strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}

func inCard(toks []string) bool {
	for i, t := range toks {
		if cardWords[t] {
			return true
		}
		if t == "card" || (t == "credit" && i+1 < len(toks) && toks[i+1] == "card") {
			return true
		}
	}
	return false
}

func containsAny(toks []string, words ...string) bool {
	for _, t := range toks {
		for _, w := range words {
			if t == w {
				return true
			}
		}
	}
	return false
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// IsHealthContext reports whether text (a path, summary, title, table
// name) is about health care.
func IsHealthContext(text string) bool {
	t := strings.ToLower(text)
	for _, w := range healthWords {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// Format classifies an OpenAPI / JSON Schema format.
func Format(field, format string) []Tag {
	var c graph.DataClass
	conf := 0.9
	switch strings.ToLower(format) {
	case "email", "idn-email":
		c = graph.PII
	case "password":
		c = graph.Credentials
	case "ipv4", "ipv6":
		c, conf = graph.PII, 0.7
	case "credit-card", "creditcard", "card-number":
		c = graph.PCI
	case "iban":
		c = graph.Financial
	case "ssn":
		c = graph.PII
	case "phone", "tel":
		c, conf = graph.PII, 0.85
	default:
		return nil
	}
	return []Tag{{Class: c, Field: field, Reason: "format:" + format, Confidence: conf}}
}

var (
	emailRe = regexp.MustCompile(`^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$`)
	ssnRe   = regexp.MustCompile(`^\d{3}-\d{2}-\d{4}$`)
	ibanRe  = regexp.MustCompile(`^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$`)
)

// ExampleKind recognises what an example value is without keeping it:
// "card-number" (13–19 digits passing the Luhn check), "email", "ssn",
// "iban" (mod-97 checked) or "" when it is none of those.
func ExampleKind(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 64 || v == "" {
		return ""
	}
	digits := strings.NewReplacer(" ", "", "-", "").Replace(v)
	switch {
	case len(digits) >= 13 && len(digits) <= 19 && isDigits(digits) && luhn(digits):
		return "card-number"
	case emailRe.MatchString(v):
		return "email"
	case ssnRe.MatchString(v):
		return "ssn"
	case ibanRe.MatchString(strings.ReplaceAll(v, " ", "")) && ibanOK(strings.ReplaceAll(v, " ", "")):
		return "iban"
	}
	return ""
}

// Example classifies an example kind returned by ExampleKind.
func Example(field, kind string) []Tag {
	switch kind {
	case "card-number":
		return []Tag{{Class: graph.PCI, Field: field, Reason: "example:card-number", Confidence: 0.9}}
	case "email":
		return []Tag{{Class: graph.PII, Field: field, Reason: "example:email", Confidence: 0.8}}
	case "ssn":
		return []Tag{{Class: graph.PII, Field: field, Reason: "example:ssn", Confidence: 0.8}}
	case "iban":
		return []Tag{{Class: graph.Financial, Field: field, Reason: "example:iban", Confidence: 0.85}}
	}
	return nil
}

// Annotation classifies an explicit classification ("PII", "pci",
// "confidential/PHI", "pii,credentials", "true" for x-pii).
func Annotation(field, value string) []Tag {
	var out []Tag
	for _, part := range strings.FieldsFunc(strings.ToUpper(value), func(r rune) bool {
		return r == ',' || r == ' ' || r == '/' || r == ';' || r == '|'
	}) {
		c := graph.DataClass(part)
		switch part {
		case "SECRET", "SECRETS", "CREDENTIAL", "PASSWORD":
			c = graph.Credentials
		case "FINANCE", "BANKING":
			c = graph.Financial
		case "HEALTH", "HIPAA":
			c = graph.PHI
		case "PERSONAL", "GDPR", "SENSITIVE":
			c = graph.PII
		case "CARD", "PAYMENT":
			c = graph.PCI
		}
		if c.Valid() {
			out = append(out, Tag{Class: c, Field: field, Reason: "annotation", Confidence: 1})
		}
	}
	return out
}

func luhn(d string) bool {
	sum, alt := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if alt {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		alt = !alt
	}
	return sum%10 == 0
}

func ibanOK(s string) bool {
	s = s[4:] + s[:4]
	rem := 0
	for _, r := range s {
		var v int
		switch {
		case r >= '0' && r <= '9':
			v = int(r - '0')
			rem = (rem*10 + v) % 97
		case r >= 'A' && r <= 'Z':
			v = int(r-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
	}
	return rem == 1
}
