package access

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Cluster updates are real asynchronous work, as in EKS. An operation that changes a cluster
// (UpdateClusterConfig, Associate/DisassociateIdentityProviderConfig) validates the request,
// records an InProgress Update with a due time (now + the server's update duration), marks the
// cluster UPDATING and answers at once. The change itself is stored with the update and
// applied by the Updater when the update is due: in one transaction it claims the update
// (CompleteUpdate, a conditional write that only succeeds while the update is InProgress, so
// that with several replicas exactly one of them completes it), applies the change (config
// CREATING → ACTIVE, DELETING → deleted, authentication mode switched, cluster spec changed),
// and puts the cluster back to ACTIVE. Updates are persistent: a restarted server finishes the
// ones that became due while it was down as soon as it starts.
//
// While an update is InProgress a cluster takes no other update: the next one gets the 409
// `Cannot <UpdateType> because cluster <name> currently has update <id> in progress`.
// Access-entry operations and tagging keep working meanwhile, as in EKS.

// Update statuses (UpdateStatus enum of the model).
const (
	UpdateInProgress = "InProgress"
	UpdateFailed     = "Failed"
	UpdateCancelled  = "Cancelled"
	UpdateSuccessful = "Successful"
)

// Update types this server starts (UpdateType enum of the model).
const (
	UpdateTypeAccessConfig        = "AccessConfigUpdate"
	UpdateTypeAssociateIdP        = "AssociateIdentityProviderConfig"
	UpdateTypeDisassociateIdP     = "DisassociateIdentityProviderConfig"
	UpdateTypeEndpointAccess      = "EndpointAccessUpdate"
	UpdateTypeVpcConfig           = "VpcConfigUpdate"
	UpdateTypeLogging             = "LoggingUpdate"
	UpdateTypeUpgradePolicy       = "UpgradePolicyUpdate"
	UpdateTypeZonalShift          = "ZonalShiftConfigUpdate"
	UpdateTypeAutoMode            = "AutoModeUpdate"
	UpdateTypeRemoteNetwork       = "RemoteNetworkConfigUpdate"
	UpdateTypeDeletionProtection  = "DeletionProtectionUpdate"
	UpdateTypeControlPlaneScaling = "ControlPlaneScalingConfigUpdate"
)

// Update param types (UpdateParamType enum of the model) this server uses.
const (
	ParamAuthenticationMode      = "AuthenticationMode"
	ParamIdentityProviderConfig  = "IdentityProviderConfig"
	ParamEndpointPublicAccess    = "EndpointPublicAccess"
	ParamEndpointPrivateAccess   = "EndpointPrivateAccess"
	ParamPublicAccessCidrs       = "PublicAccessCidrs"
	ParamSubnets                 = "Subnets"
	ParamSecurityGroups          = "SecurityGroups"
	ParamClusterLogging          = "ClusterLogging"
	ParamUpgradePolicy           = "UpgradePolicy"
	ParamZonalShiftConfig        = "ZonalShiftConfig"
	ParamComputeConfig           = "ComputeConfig"
	ParamKubernetesNetworkConfig = "KubernetesNetworkConfig"
	ParamStorageConfig           = "StorageConfig"
	ParamRemoteNetworkConfig     = "RemoteNetworkConfig"
	ParamDeletionProtection      = "DeletionProtection"
	ParamPreviousTier            = "PreviousTier"
	ParamUpdatedTier             = "UpdatedTier"
)

// UpdateParam is one {type, value} of an Update; value is a string, often JSON.
type UpdateParam struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// UpdateError is an ErrorDetail of a failed update.
type UpdateError struct {
	ErrorCode    string   `json:"errorCode"`
	ErrorMessage string   `json:"errorMessage"`
	ResourceIDs  []string `json:"resourceIds"`
}

// UpdateChange is what an update does to its cluster when it completes. It is stored with the
// update and never sent on the wire.
type UpdateChange struct {
	// AuthenticationMode is the mode an AccessConfigUpdate switches to.
	AuthenticationMode string `json:"authenticationMode,omitempty"`
	// IdentityProviderConfig names the config an Associate (→ ACTIVE) or Disassociate
	// (→ deleted) update completes.
	IdentityProviderConfig string `json:"identityProviderConfig,omitempty"`
	// VPC holds the resourcesVpcConfig members to set.
	VPC *VPCConfigInput `json:"vpc,omitempty"`
	// Logging replaces the cluster's logging.
	Logging map[string]any `json:"logging,omitempty"`
	// KubernetesNetwork members are merged into the cluster's kubernetesNetworkConfig.
	KubernetesNetwork map[string]any `json:"kubernetesNetworkConfig,omitempty"`
	// Extra members replace the cluster's (Spec.Extra); a nil value removes the member.
	Extra map[string]any `json:"extra,omitempty"`
}

// Update is an asynchronous cluster update.
type Update struct {
	ID        string        `json:"id"`
	ClusterID string        `json:"clusterId"`
	Type      string        `json:"type"`
	Status    string        `json:"status"`
	Params    []UpdateParam `json:"params"`
	Errors    []UpdateError `json:"errors"`
	CreatedAt Millis        `json:"createdAt"`
	// DueAt is when the Updater completes the update.
	DueAt  Millis       `json:"dueAt"`
	Change UpdateChange `json:"change"`
}

// UpdateListKey is the key ListUpdates pages by: creation time, then id. ListUpdates lists a
// cluster's updates oldest first (AWS's order is not documented).
func UpdateListKey(u Update) string { return fmt.Sprintf("%015d/%s", int64(u.CreatedAt), u.ID) }

// updateSettings are the Service's update duration and the hook that wakes the Updater.
type updateSettings struct {
	duration time.Duration
	notify   func()
}

// DefaultUpdateDuration is how long a cluster update takes unless configured otherwise.
const DefaultUpdateDuration = 3 * time.Second

// WithUpdateDuration sets how long cluster updates stay InProgress. 0 makes them due at once:
// they still complete asynchronously, after the response that started them.
func WithUpdateDuration(d time.Duration) Option {
	return func(s *Service) {
		if d < 0 {
			d = 0
		}
		s.updates.duration = d
	}
}

// WithUpdateNotifier installs a function called after a transaction that started an update
// has committed (the Updater's Wake).
func WithUpdateNotifier(f func()) Option { return func(s *Service) { s.updates.notify = f } }

// startUpdate records a new InProgress update of cl and marks the cluster UPDATING, or
// answers the 409 conflict when the cluster already has an update in progress. It runs inside
// the caller's transaction; the caller validates the request against the cluster first.
func (s *Service) startUpdate(tx Tx, cl *Cluster, typ string, params []UpdateParam, change UpdateChange, now Millis) (*Update, error) {
	if err := noUpdateInProgress(tx, cl, typ); err != nil {
		return nil, err
	}
	if params == nil {
		params = []UpdateParam{}
	}
	u := &Update{
		ID:        newUUID(),
		ClusterID: cl.ID,
		Type:      typ,
		Status:    UpdateInProgress,
		Params:    params,
		Errors:    []UpdateError{},
		CreatedAt: now,
		DueAt:     now + Millis(s.updates.duration.Milliseconds()),
		Change:    change,
	}
	if err := tx.InsertUpdate(u); err != nil {
		if errors.Is(err, ErrAlreadyExists) {
			if e := noUpdateInProgress(tx, cl, typ); e != nil {
				return nil, e
			}
		}
		return nil, err
	}
	cl.Status = ClusterUpdating
	if err := tx.UpdateCluster(cl); err != nil {
		return nil, err
	}
	return u, nil
}

func noUpdateInProgress(tx Tx, cl *Cluster, typ string) error {
	cur, err := tx.InProgressUpdate(cl.ID)
	switch {
	case err == nil:
		return errUpdateInProgress(typ, cl.Name, cur.ID)
	case errors.Is(err, ErrNotFound):
		return nil
	}
	return err
}

// updated wakes the Updater after a transaction that started an update has committed.
func (s *Service) updated() {
	if s.updates.notify != nil {
		s.updates.notify()
	}
}

// UpdateFilter is DescribeUpdate's and ListUpdates' optional query members. This server has
// no node groups, add-ons or capabilities, so naming one answers ResourceNotFoundException.
type UpdateFilter struct {
	NodegroupName, AddonName, CapabilityName string
}

func (f UpdateFilter) check(cluster string) error {
	switch {
	case f.NodegroupName != "":
		return errNodegroupNotFound(cluster, f.NodegroupName)
	case f.AddonName != "":
		return errAddonNotFound(cluster, f.AddonName)
	case f.CapabilityName != "":
		return errCapabilityNotFound(cluster, f.CapabilityName)
	}
	return nil
}

// DescribeUpdate returns an update of a cluster.
func (s *Service) DescribeUpdate(ctx context.Context, c Caller, clusterName, id string, f UpdateFilter) (*Update, error) {
	var out *Update
	err := s.view(ctx, func(tx Tx) error {
		cl, err := cluster(tx, c, clusterName)
		if err != nil {
			return err
		}
		if err := f.check(clusterName); err != nil {
			return err
		}
		out, err = tx.GetUpdate(cl.ID, id)
		if errors.Is(err, ErrNotFound) {
			return errUpdateNotFound(clusterName, id)
		}
		return err
	})
	return out, err
}

// ListUpdates lists the ids of a cluster's updates, oldest first.
func (s *Service) ListUpdates(ctx context.Context, c Caller, clusterName string, f UpdateFilter, p Page) (ids []string, next string, err error) {
	err = s.view(ctx, func(tx Tx) error {
		cl, err := cluster(tx, c, clusterName)
		if err != nil {
			return err
		}
		if err := f.check(clusterName); err != nil {
			return err
		}
		us, nx, err := page(p, func(p Page) ([]Update, error) { return tx.ListUpdates(cl.ID, p) }, UpdateListKey)
		if err != nil {
			return err
		}
		ids = make([]string, len(us))
		for i, u := range us {
			ids[i] = u.ID
		}
		next = nx
		return nil
	})
	return ids, next, err
}

// completeUpdate claims a due update and applies its change, in the caller's transaction.
// claimed is false when the update is no longer InProgress (another worker completed it, or
// the cluster was deleted with it).
func completeUpdate(tx Tx, u *Update) (claimed bool, err error) {
	if err := tx.CompleteUpdate(u.ID, UpdateSuccessful, []UpdateError{}); err != nil {
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	cl, err := tx.GetClusterByID(u.ClusterID)
	if err != nil {
		return true, err
	}
	if err := applyChange(tx, cl, u); err != nil {
		return true, err
	}
	cl.Status = ClusterActive
	return true, tx.UpdateCluster(cl)
}

// failUpdate marks an update whose change could not be applied Failed, undoes the config
// status it set, and returns the cluster to ACTIVE.
func failUpdate(tx Tx, u *Update, cause error) (bool, error) {
	errs := []UpdateError{{ErrorCode: "Unknown", ErrorMessage: cause.Error(), ResourceIDs: []string{}}}
	if err := tx.CompleteUpdate(u.ID, UpdateFailed, errs); err != nil {
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	cl, err := tx.GetClusterByID(u.ClusterID)
	if err != nil {
		return true, err
	}
	if name := u.Change.IdentityProviderConfig; name != "" {
		cfg, err := tx.GetIdentityProviderConfig(cl.ID, name)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return true, err
		case u.Type == UpdateTypeAssociateIdP:
			if err := tx.DeleteIdentityProviderConfig(cl.ID, name); err != nil {
				return true, err
			}
		default:
			cfg.Status = ConfigActive
			if err := tx.UpdateIdentityProviderConfig(cfg); err != nil {
				return true, err
			}
		}
	}
	cl.Status = ClusterActive
	return true, tx.UpdateCluster(cl)
}

// applyChange applies a completed update's change to the cluster (which the caller saves).
func applyChange(tx Tx, cl *Cluster, u *Update) error {
	ch := u.Change
	switch u.Type {
	case UpdateTypeAccessConfig:
		from := cl.AuthenticationMode
		cl.AuthenticationMode = ch.AuthenticationMode
		if from == ModeConfigMap && ch.AuthenticationMode == ModeAPIAndConfigMap {
			return onConfigMapToAPIAndConfigMap(tx, cl)
		}
		return nil
	case UpdateTypeAssociateIdP:
		cfg, err := tx.GetIdentityProviderConfig(cl.ID, ch.IdentityProviderConfig)
		if err != nil {
			return fmt.Errorf("identity provider config %s: %w", ch.IdentityProviderConfig, err)
		}
		cfg.Status = ConfigActive
		return tx.UpdateIdentityProviderConfig(cfg)
	case UpdateTypeDisassociateIdP:
		err := tx.DeleteIdentityProviderConfig(cl.ID, ch.IdentityProviderConfig)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}
	applySpecChange(&cl.Spec, ch)
	return nil
}

// onConfigMapToAPIAndConfigMap is the hook of the CONFIG_MAP → API_AND_CONFIG_MAP switch.
// EKS then creates a STANDARD access entry for the cluster creator's IAM principal with
// AmazonEKSClusterAdminPolicy at cluster scope (the creator was an invisible system:masters
// admin under CONFIG_MAP). Node entries migrated from aws-auth by managed node groups and
// Fargate profiles have no counterpart here: eksaccess has neither.
func onConfigMapToAPIAndConfigMap(tx Tx, cl *Cluster) error {
	return createCreatorEntry(tx, cl, MillisOf(time.Now()))
}

func applySpecChange(s *ClusterSpec, ch UpdateChange) {
	if v := ch.VPC; v != nil {
		if v.SubnetIDs != nil {
			s.VPC.SubnetIDs = v.SubnetIDs
		}
		if v.SecurityGroupIDs != nil {
			s.VPC.SecurityGroupIDs = v.SecurityGroupIDs
		}
		if v.EndpointPublicAccess != nil {
			s.VPC.EndpointPublicAccess = *v.EndpointPublicAccess
		}
		if v.EndpointPrivateAccess != nil {
			s.VPC.EndpointPrivateAccess = *v.EndpointPrivateAccess
		}
		if v.PublicAccessCIDRs != nil {
			s.VPC.PublicAccessCIDRs = v.PublicAccessCIDRs
		}
	}
	if ch.Logging != nil {
		s.Logging = ch.Logging
	}
	if len(ch.KubernetesNetwork) > 0 {
		if s.KubernetesNetwork == nil {
			s.KubernetesNetwork = map[string]any{}
		}
		for k, v := range ch.KubernetesNetwork {
			s.KubernetesNetwork[k] = v
		}
	}
	for k, v := range ch.Extra {
		if v == nil {
			delete(s.Extra, k)
			continue
		}
		if s.Extra == nil {
			s.Extra = map[string]any{}
		}
		s.Extra[k] = v
	}
}

// Updater completes due cluster updates in the background. Start it once; Wake it after an
// update was started; Stop it before closing the store.
type Updater struct {
	store    Store
	now      func() time.Time
	log      *slog.Logger
	idle     time.Duration
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	start    sync.Once
	stopOnce sync.Once
	cancel   context.CancelFunc
}

// UpdaterOption configures an Updater.
type UpdaterOption func(*Updater)

// UpdaterClock replaces the Updater's clock (tests).
func UpdaterClock(now func() time.Time) UpdaterOption { return func(u *Updater) { u.now = now } }

// UpdaterLogger sets the Updater's logger.
func UpdaterLogger(l *slog.Logger) UpdaterOption { return func(u *Updater) { u.log = l } }

// UpdaterPollInterval bounds how long the Updater sleeps without being woken; it is what lets
// a replica complete updates that another replica started (default 10s).
func UpdaterPollInterval(d time.Duration) UpdaterOption {
	return func(u *Updater) {
		if d > 0 {
			u.idle = d
		}
	}
}

// DueBatch is how many due updates the Updater reads at a time.
const DueBatch = 100

// NewUpdater returns an Updater over store; it does nothing until Start.
func NewUpdater(store Store, opts ...UpdaterOption) *Updater {
	u := &Updater{
		store: store, now: time.Now, log: slog.New(slog.DiscardHandler), idle: 10 * time.Second,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	for _, o := range opts {
		o(u)
	}
	return u
}

// Wake makes the Updater look for due updates now. It never blocks.
func (u *Updater) Wake() {
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// Start runs the Updater in the background. It first completes every update that became due
// while no server was running.
func (u *Updater) Start() {
	u.start.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		u.cancel = cancel
		go u.loop(ctx)
	})
}

// Stop stops the Updater and waits for it (at most until ctx ends). An update being completed
// is either committed or rolled back; it completes at the next start otherwise.
func (u *Updater) Stop(ctx context.Context) error {
	started := false
	u.start.Do(func() {}) // a never-started Updater has nothing to wait for
	u.stopOnce.Do(func() {
		close(u.stop)
		started = u.cancel != nil
	})
	if !started {
		return nil
	}
	select {
	case <-u.done:
		return nil
	case <-ctx.Done():
		u.cancel()
		<-u.done
		return ctx.Err()
	}
}

func (u *Updater) loop(ctx context.Context) {
	defer close(u.done)
	defer u.cancel()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var backoff time.Duration
	for {
		next, ok, err := u.RunDue(ctx)
		wait := u.idle
		switch {
		case err != nil:
			backoff = min(max(2*backoff, 100*time.Millisecond), 10*time.Second)
			wait = backoff
			u.log.Warn("completing cluster updates", "error", err, "retry_in", backoff)
		case ok:
			backoff = 0
			if d := next.Sub(u.now()) + time.Millisecond; d < wait {
				wait = max(d, 0)
			}
		default:
			backoff = 0
		}
		timer.Reset(wait)
		select {
		case <-u.stop:
			return
		case <-u.wake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		case <-timer.C:
		}
	}
}

// RunDue completes every update that is due now and reports when the next one is due.
func (u *Updater) RunDue(ctx context.Context) (next time.Time, ok bool, err error) {
	for {
		var due []Update
		now := MillisOf(u.now())
		if err := u.store.View(ctx, func(tx Tx) error {
			var err error
			due, err = tx.DueUpdates(now, DueBatch)
			return err
		}); err != nil {
			return time.Time{}, false, err
		}
		for i := range due {
			if err := u.finish(ctx, &due[i]); err != nil {
				return time.Time{}, false, err
			}
		}
		if len(due) < DueBatch {
			break
		}
	}
	var at Millis
	err = u.store.View(ctx, func(tx Tx) error {
		var err error
		at, ok, err = tx.NextDueAt()
		return err
	})
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	return at.Time(), true, nil
}

// finish completes one update; when its change cannot be applied it is marked Failed.
func (u *Updater) finish(ctx context.Context, up *Update) error {
	var claimed bool
	err := u.store.Update(ctx, func(tx Tx) error {
		var err error
		claimed, err = completeUpdate(tx, up)
		return err
	})
	if err == nil {
		if claimed {
			u.log.Info("cluster update completed", "update_id", up.ID, "type", up.Type, "cluster_id", up.ClusterID)
		}
		return nil
	}
	if errors.Is(err, ErrUnavailable) || ctx.Err() != nil {
		return err
	}
	u.log.Error("cluster update failed", "update_id", up.ID, "type", up.Type, "cluster_id", up.ClusterID, "error", err)
	return u.store.Update(ctx, func(tx Tx) error {
		_, err := failUpdate(tx, up, err)
		return err
	})
}
