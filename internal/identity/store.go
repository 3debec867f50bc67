package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
)

// TempKeyPrefix starts the access key ids of temporary (STS) credentials.
const TempKeyPrefix = "ASIA"

// Principal is an authenticated caller.
type Principal struct {
	Account string
	// ARN is the caller's ARN as STS reports it: the user ARN, or
	// arn:aws:sts::ACCT:assumed-role/NAME/SESSION for role sessions.
	ARN string
	// IAMARN is the IAM principal behind the caller: the user ARN, or the role ARN with its path.
	IAMARN string
	// PrincipalID is the unique id of the IAM principal (AIDA… or AROA…).
	PrincipalID string
	// UserID is GetCallerIdentity's UserId: AIDA… for users, AROA…:SESSION for role sessions.
	UserID   string
	Policies []*Policy
	// Session is set for temporary credentials.
	Session *Session
}

// Session is a set of temporary credentials issued by AssumeRole. Sessions live in memory, and
// with a SessionStore (PostgreSQL) also in the database, where every replica finds them.
type Session struct {
	AccessKeyID, Secret, Token string
	Expires                    time.Time
	RoleARN, RoleID            string
	Name                       string
}

// Store is the live identity store: the directory loaded from the identities file (swapped
// atomically on Reload) and the temporary credentials issued since start.
type Store struct {
	path  string
	dir   atomic.Pointer[Directory]
	clock atomic.Pointer[func() time.Time]

	mu       sync.Mutex
	sessions map[string]*Session
	// shared, when set, keeps sessions where every replica finds them.
	shared SessionStore
}

// SessionStore keeps temporary credentials where every replica finds them (the PostgreSQL
// backend implements it): credentials issued by one replica then authenticate on all, and
// survive restarts.
type SessionStore interface {
	PutSession(ctx context.Context, s *Session) error
	// GetSession returns access.ErrNotFound for an unknown access key id.
	GetSession(ctx context.Context, accessKeyID string) (*Session, error)
}

// SetSessionStore shares sessions through ss; call it before serving.
func (s *Store) SetSessionStore(ss SessionStore) { s.shared = ss }

// sessionStoreTimeout bounds a session read or write in the SessionStore.
const sessionStoreTimeout = 5 * time.Second

// share writes a newly issued session to the SessionStore, if there is one.
func (s *Store) share(sess *Session) error {
	if s.shared == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionStoreTimeout)
	defer cancel()
	if err := s.shared.PutSession(ctx, sess); err != nil {
		s.mu.Lock()
		delete(s.sessions, sess.AccessKeyID)
		s.mu.Unlock()
		return access.ErrServiceUnavailable()
	}
	return nil
}

// sharedSession finds a session another replica (or an earlier run) issued, and keeps it.
func (s *Store) sharedSession(akid string) (*Session, error) {
	if s.shared == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionStoreTimeout)
	defer cancel()
	sess, err := s.shared.GetSession(ctx, akid)
	if errors.Is(err, access.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, access.ErrServiceUnavailable()
	}
	s.mu.Lock()
	s.sessions[akid] = sess
	s.mu.Unlock()
	return sess, nil
}

// OpenStore loads the identities file at path.
func OpenStore(path string) (*Store, error) {
	d, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	s := NewStore(d)
	s.path = path
	return s, nil
}

// NewStore returns a store over a directory (tests).
func NewStore(d *Directory) *Store {
	s := &Store{sessions: map[string]*Session{}}
	s.dir.Store(d)
	s.SetClock(time.Now)
	return s
}

// SetClock replaces the clock (tests); safe while serving.
func (s *Store) SetClock(now func() time.Time) { s.clock.Store(&now) }

func (s *Store) now() time.Time { return (*s.clock.Load())() }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// Directory is the current directory.
func (s *Store) Directory() *Directory { return s.dir.Load() }

// Reload re-reads the identities file. On error the current directory stays in force. Requests
// in flight keep the directory they started with; new requests see the new one.
func (s *Store) Reload() error {
	if s.path == "" {
		return fmt.Errorf("no identities file to reload")
	}
	d, err := LoadFile(s.path)
	if err != nil {
		return err
	}
	s.dir.Store(d)
	return nil
}

// Lookup implements Secrets.
func (s *Store) Lookup(akid, token string, now time.Time) (string, *Principal, error) {
	d := s.dir.Load()
	if strings.HasPrefix(akid, TempKeyPrefix) {
		s.mu.Lock()
		sess := s.sessions[akid]
		s.mu.Unlock()
		if sess == nil && token != "" {
			var err error
			if sess, err = s.sharedSession(akid); err != nil {
				return "", nil, err
			}
		}
		if sess == nil || token == "" || token != sess.Token {
			return "", nil, authErr(access.CodeUnrecognizedClient, msgInvalidToken)
		}
		if !now.Before(sess.Expires) {
			return "", nil, authErr(access.CodeExpiredToken, msgExpiredToken)
		}
		role := d.RoleByARN(sess.RoleARN)
		if role == nil || role.ID != sess.RoleID {
			// the role was deleted (or re-created) since: its sessions end
			return "", nil, authErr(access.CodeUnrecognizedClient, msgInvalidToken)
		}
		return sess.Secret, rolePrincipal(role, sess), nil
	}
	k, ok := d.keys[akid]
	if !ok || token != "" {
		return "", nil, authErr(access.CodeUnrecognizedClient, msgInvalidToken)
	}
	u := k.user
	return k.secret, &Principal{Account: u.Account, ARN: u.ARN, IAMARN: u.ARN, PrincipalID: u.ID, UserID: u.ID, Policies: u.Policies}, nil
}

// Standing is what an access key authenticates now: the unique id of its principal and the
// secret it signs with (a session's own secret). ok is false when the key authenticates nobody
// now: it, its user or its role was removed, the role was re-created (a new unique id), or the
// session expired. Callers that cached an earlier verification compare the two values with
// what they saw then: a map lookup, so it can run on every cache hit.
func (s *Store) Standing(accessKeyID string) (principalID, secret string, ok bool) {
	d := s.dir.Load()
	if strings.HasPrefix(accessKeyID, TempKeyPrefix) {
		s.mu.Lock()
		sess := s.sessions[accessKeyID]
		s.mu.Unlock()
		if sess == nil || !s.now().Before(sess.Expires) {
			return "", "", false
		}
		role := d.RoleByARN(sess.RoleARN)
		if role == nil || role.ID != sess.RoleID {
			return "", "", false
		}
		return role.ID, sess.Secret, true
	}
	k, ok := d.keys[accessKeyID]
	if !ok {
		return "", "", false
	}
	return k.user.ID, k.secret, true
}

func rolePrincipal(r *Role, sess *Session) *Principal {
	return &Principal{
		Account:     r.Account,
		ARN:         AssumedRoleARN(r.Account, r.Name, sess.Name),
		IAMARN:      r.ARN,
		PrincipalID: r.ID,
		UserID:      r.ID + ":" + sess.Name,
		Policies:    r.Policies,
		Session:     sess,
	}
}

// AssumedRoleARN is the ARN of a role session; it never carries the role's path.
func AssumedRoleARN(account, role, session string) string {
	return "arn:" + Partition + ":sts::" + account + ":assumed-role/" + role + "/" + session
}

// issue creates temporary credentials for a role session.
func (s *Store) issue(r *Role, name string, d time.Duration) *Session {
	now := s.now()
	sess := &Session{
		AccessKeyID: TempKeyPrefix + randBase32(16),
		Secret:      randBase64(30),
		Token:       "IQoJb3JpZ2luX2VjE" + randBase64(96),
		Expires:     now.Add(d).Truncate(time.Second),
		RoleARN:     r.ARN,
		RoleID:      r.ID,
		Name:        name,
	}
	s.mu.Lock()
	// drop sessions expired a day ago now and then so the map stays small; until then their
	// callers are told ExpiredToken, later InvalidClientTokenId
	if len(s.sessions)%64 == 0 {
		for k, v := range s.sessions {
			if now.Sub(v.Expires) > 24*time.Hour {
				delete(s.sessions, k)
			}
		}
	}
	s.sessions[sess.AccessKeyID] = sess
	s.mu.Unlock()
	return sess
}

func randBase32(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return string(b)
}

func randBase64(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// ResolvePrincipal implements access.PrincipalResolver: it returns the unique id of the IAM
// user or role an access entry names (role ARNs with their path), or ErrInvalidPrincipal.
func (s *Store) ResolvePrincipal(p access.Principal, arn string) (string, error) {
	d := s.dir.Load()
	switch p.Kind {
	case "user":
		if u := d.UserByARN(arn); u != nil {
			return u.ID, nil
		}
	case "role":
		if r := d.RoleByARN(arn); r != nil {
			return r.ID, nil
		}
	}
	return "", access.ErrInvalidPrincipal()
}

// SigV4 is the Authenticator of sigv4 mode: it verifies every request's signature against the
// store and authorizes the call with the caller's IAM policies.
type SigV4 struct {
	Store    *Store
	verifier Verifier
}

// NewSigV4 returns the sigv4-mode authenticator over store.
func NewSigV4(s *Store) *SigV4 {
	return &SigV4{Store: s, verifier: Verifier{Secrets: s, Now: func() time.Time { return s.now() }}}
}

// Verifier is the store's SigV4 verifier.
func (a *SigV4) Verifier() *Verifier { return &a.verifier }

// Authenticate implements Authenticator for EKS requests.
func (a *SigV4) Authenticate(r *http.Request, body []byte) (access.Caller, error) {
	p, c, err := a.verifier.Verify(r, body, "eks")
	if err != nil {
		return access.Caller{}, err
	}
	return access.Caller{Account: p.Account, Region: c.Region, AccessKeyID: c.AccessKeyID,
		PrincipalARN: p.IAMARN, SessionARN: p.ARN, PrincipalID: p.PrincipalID}, nil
}

// Authorize checks the caller's identity-based policies: no matching Allow or any matching
// Deny is AccessDeniedException with AWS's message.
func (a *SigV4) Authorize(c access.Caller, action, resource string) error {
	if Evaluate(a.Store.policiesOf(c), action, resource) != Allowed {
		return ErrNotAuthorized(c.SessionARN, action, resource)
	}
	return nil
}

// policiesOf finds the identity-based policies of an authenticated caller in the current directory.
func (s *Store) policiesOf(c access.Caller) []*Policy {
	d := s.dir.Load()
	if u := d.UserByARN(c.PrincipalARN); u != nil && u.ID == c.PrincipalID {
		return u.Policies
	}
	if r := d.RoleByARN(c.PrincipalARN); r != nil && r.ID == c.PrincipalID {
		return r.Policies
	}
	return nil
}

// ErrNotAuthorized is AWS's AccessDeniedException for an IAM refusal.
func ErrNotAuthorized(callerARN, action, resource string) *access.Error {
	return access.NewError(access.CodeAccessDenied, "User: "+callerARN+" is not authorized to perform: "+action+" on resource: "+resource)
}
