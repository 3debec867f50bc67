package identity

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/eksaccess/eksaccess/internal/yamldoc"
)

// File is the identities file (YAML or JSON): accounts with their IAM users and roles.
type File struct {
	Accounts []AccountSpec `json:"accounts"`
}

// AccountSpec declares one AWS account.
type AccountSpec struct {
	ID    string     `json:"id"`
	Users []UserSpec `json:"users,omitempty"`
	Roles []RoleSpec `json:"roles,omitempty"`
}

// UserSpec declares an IAM user.
type UserSpec struct {
	Name       string            `json:"name"`
	Path       string            `json:"path,omitempty"` // default "/"
	AccessKeys []AccessKeySpec   `json:"accessKeys,omitempty"`
	Policies   []json.RawMessage `json:"policies,omitempty"`
	// Generation stands for deleting and re-creating the user: IAM gives a re-created principal
	// a new unique id, so access entries made for the old one stop matching. Default 0.
	Generation int `json:"generation,omitempty"`
}

// AccessKeySpec is a long-term access key of a user.
type AccessKeySpec struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// RoleSpec declares an IAM role.
type RoleSpec struct {
	Name string `json:"name"`
	Path string `json:"path,omitempty"` // default "/"
	// Trust lists the principals allowed to assume the role: user or role ARNs (a role ARN also
	// admits that role's sessions), "arn:aws:iam::ACCT:root" (any principal of that account whose
	// own policies allow sts:AssumeRole on the role), or an account id (same as its root).
	Trust    []string          `json:"trust,omitempty"`
	Policies []json.RawMessage `json:"policies,omitempty"`
	// MaxSessionDuration bounds AssumeRole's DurationSeconds, 3600–43200 (default 3600).
	MaxSessionDuration int `json:"maxSessionDuration,omitempty"`
	// Generation stands for deleting and re-creating the role (a new unique id). Default 0.
	Generation int `json:"generation,omitempty"`
}

// Partition is the partition of every ARN of the identities file.
const Partition = "aws"

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	iamNameRe   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	iamPathRe   = regexp.MustCompile(`^/([\x21-\x7e]*/)?$`)
	accessKeyRe = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// User is a loaded IAM user.
type User struct {
	Account, Name, Path, ARN, ID string
	Policies                     []*Policy
}

// Role is a loaded IAM role.
type Role struct {
	Account, Name, Path, ARN, ID string
	Trust                        []string
	Policies                     []*Policy
	MaxSession                   int // seconds
}

// Directory is an immutable, validated view of an identities file.
type Directory struct {
	accounts map[string]bool
	keys     map[string]key   // access key id → key
	users    map[string]*User // ARN → user
	roles    map[string]*Role // ARN → role
}

type key struct {
	secret string
	user   *User
}

// LoadFile reads and validates an identities file.
func LoadFile(path string) (*Directory, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identities file: %w", err)
	}
	return parseFile(path, b)
}

// ParseFile parses and validates an identities file. Errors give the line and name the
// offending field, such as `line 12: accounts[0].users[1].accessKeys[0].id: …`; unknown
// fields are errors.
func ParseFile(b []byte) (*Directory, error) { return parseFile("", b) }

func parseFile(name string, b []byte) (*Directory, error) {
	doc, err := yamldoc.Parse(name, b)
	if err != nil {
		return nil, err
	}
	var f File
	if err := doc.Decode(&f, true); err != nil {
		return nil, err
	}
	d, err := Build(&f)
	return d, doc.Locate(err)
}

// Build validates f and makes its Directory.
func Build(f *File) (*Directory, error) {
	d := &Directory{accounts: map[string]bool{}, keys: map[string]key{}, users: map[string]*User{}, roles: map[string]*Role{}}
	if len(f.Accounts) == 0 {
		return nil, fmt.Errorf("accounts: at least one account is required")
	}
	for i, a := range f.Accounts {
		at := fmt.Sprintf("accounts[%d]", i)
		if !accountIDRe.MatchString(a.ID) {
			return nil, fmt.Errorf("%s.id: %q is not a 12-digit account id (quote it in YAML)", at, a.ID)
		}
		if d.accounts[a.ID] {
			return nil, fmt.Errorf("%s.id: account %s is declared twice", at, a.ID)
		}
		d.accounts[a.ID] = true
		for j, u := range a.Users {
			ut := fmt.Sprintf("%s.users[%d]", at, j)
			path, err := checkNamePath(ut, u.Name, u.Path)
			if err != nil {
				return nil, err
			}
			usr := &User{Account: a.ID, Name: u.Name, Path: path, ARN: PrincipalARN(a.ID, "user", path, u.Name), ID: UniqueID("AIDA", a.ID, "user", path, u.Name, u.Generation)}
			if d.users[usr.ARN] != nil || d.nameTaken(a.ID, "user", u.Name) {
				return nil, fmt.Errorf("%s.name: user %q is declared twice in account %s", ut, u.Name, a.ID)
			}
			if usr.Policies, err = parsePolicies(ut, u.Policies); err != nil {
				return nil, err
			}
			for k, ak := range u.AccessKeys {
				kt := fmt.Sprintf("%s.accessKeys[%d]", ut, k)
				if !accessKeyRe.MatchString(ak.ID) || strings.HasPrefix(ak.ID, TempKeyPrefix) {
					return nil, fmt.Errorf("%s.id: %q is not an access key id (16–128 characters A-Z and 0-9, not starting with %s)", kt, ak.ID, TempKeyPrefix)
				}
				if ak.Secret == "" {
					return nil, fmt.Errorf("%s.secret: required", kt)
				}
				if _, dup := d.keys[ak.ID]; dup {
					return nil, fmt.Errorf("%s.id: access key %s is declared twice", kt, ak.ID)
				}
				d.keys[ak.ID] = key{secret: ak.Secret, user: usr}
			}
			d.users[usr.ARN] = usr
		}
		for j, r := range a.Roles {
			rt := fmt.Sprintf("%s.roles[%d]", at, j)
			path, err := checkNamePath(rt, r.Name, r.Path)
			if err != nil {
				return nil, err
			}
			role := &Role{Account: a.ID, Name: r.Name, Path: path, ARN: PrincipalARN(a.ID, "role", path, r.Name), ID: UniqueID("AROA", a.ID, "role", path, r.Name, r.Generation), MaxSession: r.MaxSessionDuration}
			if d.roles[role.ARN] != nil || d.nameTaken(a.ID, "role", r.Name) {
				return nil, fmt.Errorf("%s.name: role %q is declared twice in account %s", rt, r.Name, a.ID)
			}
			if role.MaxSession == 0 {
				role.MaxSession = 3600
			} else if role.MaxSession < 3600 || role.MaxSession > 43200 {
				return nil, fmt.Errorf("%s.maxSessionDuration: %d is not within 3600–43200 seconds", rt, role.MaxSession)
			}
			for k, t := range r.Trust {
				norm, ok := normalizeTrust(t)
				if !ok {
					return nil, fmt.Errorf("%s.trust[%d]: %q is not an account id or an IAM user, role or root ARN", rt, k, t)
				}
				role.Trust = append(role.Trust, norm)
			}
			if role.Policies, err = parsePolicies(rt, r.Policies); err != nil {
				return nil, err
			}
			d.roles[role.ARN] = role
		}
	}
	return d, nil
}

// nameTaken reports whether an IAM name is used in an account (names are unique regardless of path).
func (d *Directory) nameTaken(account, kind, name string) bool {
	if kind == "user" {
		for _, u := range d.users {
			if u.Account == account && strings.EqualFold(u.Name, name) {
				return true
			}
		}
		return false
	}
	for _, r := range d.roles {
		if r.Account == account && strings.EqualFold(r.Name, name) {
			return true
		}
	}
	return false
}

func checkNamePath(at, name, path string) (string, error) {
	if !iamNameRe.MatchString(name) {
		return "", fmt.Errorf("%s.name: %q is not an IAM name (1–64 characters of letters, digits and +=,.@_-)", at, name)
	}
	if path == "" {
		path = "/"
	}
	if len(path) > 512 || !iamPathRe.MatchString(path) || strings.Contains(path, "//") {
		return "", fmt.Errorf("%s.path: %q is not an IAM path (starts and ends with /, printable ASCII, at most 512 characters)", at, path)
	}
	return path, nil
}

func parsePolicies(at string, docs []json.RawMessage) ([]*Policy, error) {
	var out []*Policy
	for i, doc := range docs {
		if s := strings.TrimSpace(string(doc)); strings.HasPrefix(s, `"`) {
			// a policy given as a JSON string
			var inner string
			if err := json.Unmarshal(doc, &inner); err == nil {
				doc = []byte(inner)
			}
		}
		p, err := ParsePolicy(doc)
		if err != nil {
			return nil, fmt.Errorf("%s.policies[%d].%v", at, i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func normalizeTrust(t string) (string, bool) {
	if accountIDRe.MatchString(t) {
		return "arn:" + Partition + ":iam::" + t + ":root", true
	}
	parts := strings.SplitN(t, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != Partition || parts[2] != "iam" || parts[3] != "" || !accountIDRe.MatchString(parts[4]) {
		return "", false
	}
	res := parts[5]
	if res == "root" || strings.HasPrefix(res, "user/") || strings.HasPrefix(res, "role/") {
		return t, true
	}
	return "", false
}

// PrincipalARN is the ARN of an IAM user or role: arn:aws:iam::ACCT:KIND/PATH-WITHOUT-LEADING-SLASH NAME.
func PrincipalARN(account, kind, path, name string) string {
	return "arn:" + Partition + ":iam::" + account + ":" + kind + path + name
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// UniqueID derives a stable IAM unique id (prefix + 17 base32 characters) from the identity's
// account, kind, path and name: the same declaration gets the same id on every load and every
// replica. Re-creating a principal under another path, or with another generation, gives
// another id.
func UniqueID(prefix, account, kind, path, name string, generation int) string {
	key := "eksaccess.id.v1\x00" + account + "\x00" + kind + "\x00" + path + "\x00" + name
	if generation != 0 {
		key += "\x00" + strconv.Itoa(generation)
	}
	sum := sha256.Sum256([]byte(key))
	return prefix + idEncoding.EncodeToString(sum[:])[:17]
}

// Accounts reports whether the directory declares account.
func (d *Directory) HasAccount(account string) bool { return d.accounts[account] }

// UserByARN returns the user with this ARN, or nil.
func (d *Directory) UserByARN(arn string) *User { return d.users[arn] }

// RoleByARN returns the role with this ARN (path included), or nil.
func (d *Directory) RoleByARN(arn string) *Role { return d.roles[arn] }

// roleByAccountName finds a role by account and name (role names are unique per account).
func (d *Directory) roleByAccountName(account, name string) *Role {
	for _, r := range d.roles {
		if r.Account == account && r.Name == name {
			return r
		}
	}
	return nil
}
