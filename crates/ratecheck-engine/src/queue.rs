//! The bounded request queue between the generator and the workers.
//!
//! A lock-free bounded MPMC queue (`concurrent-queue`) for the requests and
//! tokio `Notify`s for the wake-ups. It replaces a channel whose receivers
//! allocate a listener every time they wait: with the generator releasing
//! each request at its own time, a worker waits before nearly every request,
//! and that was one allocation per request.
//!
//! No wake-up is lost: a worker that finds the queue empty registers its
//! interest (`Notified::enable`) and looks again before it sleeps, and every
//! push notifies one waiter (or leaves one permit when none waits), so a
//! request pushed between the two looks wakes it. `close` wakes every waiter;
//! they drain what is left and then see the queue closed. `Notify` takes its
//! internal lock only when a waiter is registered, i.e. when a worker is idle.

use std::pin::pin;

use concurrent_queue::{ConcurrentQueue, PopError, PushError};
use tokio::sync::Notify;

use super::batch::RequestMeta;

/// What to do with a released request when every worker is busy and the
/// queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FullPolicy {
    /// Count it as dropped and go on (k6's `dropped_iterations`): the
    /// schedule stays on time.
    #[default]
    Drop,
    /// Wait for room: nothing is dropped, the schedule lag grows.
    Wait,
}

/// Why a request was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Every slot is taken.
    Full(RequestMeta),
    /// The queue was closed (the run is ending).
    Closed(RequestMeta),
}

/// See the module docs.
pub struct RequestQueue {
    queue: ConcurrentQueue<RequestMeta>,
    /// Workers waiting for a request.
    ready: Notify,
    /// A producer waiting for room ([`RequestQueue::push`]); only notified
    /// when `wake_producers` is set, so the drop policy pays nothing for it.
    room: Notify,
    wake_producers: bool,
}

impl RequestQueue {
    /// A queue of `capacity` slots (at least 1). `wait_for_room`: a producer
    /// may wait in [`RequestQueue::push`], so every pop tells it about room.
    pub fn bounded(capacity: usize, wait_for_room: bool) -> Self {
        RequestQueue {
            queue: ConcurrentQueue::bounded(capacity.max(1)),
            ready: Notify::new(),
            room: Notify::new(),
            wake_producers: wait_for_room,
        }
    }

    /// Queues `req` now, or says why not.
    pub fn try_push(&self, req: RequestMeta) -> Result<(), Refused> {
        match self.queue.push(req) {
            Ok(()) => {
                self.ready.notify_one();
                Ok(())
            }
            Err(PushError::Full(r)) => Err(Refused::Full(r)),
            Err(PushError::Closed(r)) => Err(Refused::Closed(r)),
        }
    }

    /// Queues `req`, waiting for room (needs `wait_for_room`); gives it back
    /// if the queue closes first.
    pub async fn push(&self, mut req: RequestMeta) -> Result<(), RequestMeta> {
        loop {
            let mut room = pin!(self.room.notified());
            room.as_mut().enable();
            match self.try_push(req) {
                Ok(()) => return Ok(()),
                Err(Refused::Closed(r)) => return Err(r),
                Err(Refused::Full(r)) => req = r,
            }
            room.await;
        }
    }

    /// The next request; `None` once the queue is closed and empty.
    pub async fn pop(&self) -> Option<RequestMeta> {
        loop {
            if let Some(r) = self.try_pop()? {
                return Some(r);
            }
            let mut ready = pin!(self.ready.notified());
            ready.as_mut().enable();
            if let Some(r) = self.try_pop()? {
                return Some(r);
            }
            ready.await;
        }
    }

    /// The next request if one is queued: `Some(Some(req))` a request,
    /// `Some(None)` empty for now, `None` closed and empty.
    #[inline]
    pub(crate) fn try_pop_now(&self) -> Option<Option<RequestMeta>> {
        self.try_pop()
    }

    /// `Some(Some(req))` a request, `Some(None)` empty for now, `None`
    /// closed and empty.
    fn try_pop(&self) -> Option<Option<RequestMeta>> {
        match self.queue.pop() {
            Ok(r) => {
                if self.wake_producers {
                    self.room.notify_one();
                }
                Some(Some(r))
            }
            Err(PopError::Empty) => Some(None),
            Err(PopError::Closed) => None,
        }
    }

    /// No more pushes; waiting workers wake, drain what is queued, then end.
    pub fn close(&self) {
        self.queue.close();
        self.ready.notify_waiters();
        self.room.notify_waiters();
    }

    /// Requests queued now.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no request is queued now.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Slots in the queue.
    pub fn capacity(&self) -> usize {
        self.queue.capacity().unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    fn req(id: u64) -> RequestMeta {
        RequestMeta {
            id,
            intended_ns: id * 10,
        }
    }

    #[test]
    fn full_and_closed_give_the_request_back() {
        let q = RequestQueue::bounded(2, false);
        q.try_push(req(1)).unwrap();
        q.try_push(req(2)).unwrap();
        assert_eq!(q.try_push(req(3)), Err(Refused::Full(req(3))));
        assert_eq!(q.len(), 2);
        q.close();
        assert_eq!(q.try_push(req(4)), Err(Refused::Closed(req(4))));
    }

    #[tokio::test]
    async fn close_lets_workers_drain_then_end() {
        let q = RequestQueue::bounded(8, false);
        for i in 0..3 {
            q.try_push(req(i)).unwrap();
        }
        q.close();
        let mut got = vec![];
        while let Some(r) = q.pop().await {
            got.push(r.id);
        }
        assert_eq!(got, [0, 1, 2]);
    }

    /// Every pushed request reaches exactly one of several waiting workers,
    /// whatever the interleaving of pushes and waits (no lost wake-up: a
    /// lost one would leave a worker asleep and the test would not end).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_request_reaches_one_worker() {
        let q = Arc::new(RequestQueue::bounded(64, true));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let q = q.clone();
                tokio::spawn(async move {
                    let mut ids = vec![];
                    while let Some(r) = q.pop().await {
                        ids.push(r.id);
                    }
                    ids
                })
            })
            .collect();
        for i in 0..20_000 {
            q.push(req(i)).await.unwrap();
            if i % 1000 == 0 {
                tokio::task::yield_now().await;
            }
        }
        q.close();
        let mut all = vec![];
        for w in workers {
            let ids = tokio::time::timeout(Duration::from_secs(30), w)
                .await
                .expect("a worker never woke")
                .unwrap();
            all.extend(ids);
        }
        all.sort_unstable();
        assert_eq!(all, (0..20_000).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn push_waits_for_room_and_close_ends_the_wait() {
        let q = Arc::new(RequestQueue::bounded(1, true));
        q.try_push(req(1)).unwrap();
        let pusher = {
            let q = q.clone();
            tokio::spawn(async move { q.push(req(2)).await })
        };
        tokio::task::yield_now().await;
        assert!(!pusher.is_finished(), "pushed into a full queue");
        assert_eq!(q.pop().await, Some(req(1)));
        pusher.await.unwrap().unwrap();
        assert_eq!(q.pop().await, Some(req(2)));

        q.try_push(req(3)).unwrap();
        let blocked = {
            let q = q.clone();
            tokio::spawn(async move { q.push(req(4)).await })
        };
        tokio::task::yield_now().await;
        q.close();
        assert_eq!(blocked.await.unwrap(), Err(req(4)));
    }
}
