//! Work spread over the cores: a list cut into contiguous shares, one per thread, results put
//! back in the list's order, so that what a caller gets never depends on how many cores ran it.
//!
//! It owns only the splitting and the joining; it must not decide anything about what the work
//! means, and it must not be used for work that reads or writes files (the core does no I/O).

/// `work` applied to contiguous shares of `items` on up to `available_parallelism` threads (this
/// one included), the shares' results concatenated in the order of `items`. With fewer than
/// `min_per_thread` items per core it all runs here, on one share. `work` gets a whole share so
/// that it can keep state across the items of one share (a memo, a parser).
///
/// A panic in a share is resumed here, as if one thread had run everything.
pub fn map_shares<T, U, W>(mut items: Vec<T>, min_per_thread: usize, work: W) -> Vec<U>
where
    T: Send,
    U: Send,
    W: Fn(Vec<T>) -> Vec<U> + Sync,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(items.len() / min_per_thread.max(1))
        .max(1);
    if threads == 1 {
        return work(items);
    }
    let share = items.len().div_ceil(threads);
    let mut shares: Vec<Vec<T>> = Vec::with_capacity(threads);
    while items.len() > share {
        let rest = items.split_off(share);
        shares.push(std::mem::replace(&mut items, rest));
    }
    shares.push(items);
    let work = &work;
    std::thread::scope(|scope| {
        let mut shares = shares.into_iter();
        let first = shares.next().unwrap_or_default();
        let helpers: Vec<_> = shares.map(|s| scope.spawn(move || work(s))).collect();
        let mut out = work(first);
        for helper in helpers {
            match helper.join() {
                Ok(more) => out.extend(more),
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The result is in the items' order whatever the number of shares, and every share's
    /// state stays its own (here: each share numbers its items from 0).
    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<usize> = (0..1000).collect();
        let doubled = map_shares(items.clone(), 10, |share| {
            share.into_iter().map(|i| i * 2).collect()
        });
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        let numbered = map_shares(items.clone(), 10, |share| {
            share.into_iter().enumerate().collect()
        });
        assert_eq!(numbered.len(), 1000);
        assert!(numbered.windows(2).all(|w| w[0].1 + 1 == w[1].1));
        // Too few items for a second thread: one share, numbered from 0 throughout.
        let one = map_shares(items[..15].to_vec(), 10, |share| {
            share.into_iter().enumerate().map(|(n, _)| n).collect()
        });
        assert_eq!(one, (0..15).collect::<Vec<_>>());
        assert!(map_shares(Vec::<u8>::new(), 1, |s| s).is_empty());
    }
}
