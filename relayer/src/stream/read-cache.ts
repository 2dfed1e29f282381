/**
 * `read` memoized per key: reads in flight are shared, an answer `keep` accepts stays for good, and any other
 * answer or a failed read is asked again next time.
 */
export function cacheReads<K, V>(read: (key: K) => Promise<V>, keep: (value: V) => boolean): (key: K) => Promise<V> {
  const known = new Map<K, Promise<V>>();
  return (key) => {
    let answer = known.get(key);
    if (answer === undefined) {
      answer = read(key);
      known.set(key, answer);
      answer.then(
        (value) => {
          if (!keep(value)) known.delete(key);
        },
        () => known.delete(key),
      );
    }
    return answer;
  };
}
