// SPDX-License-Identifier: MIT
#include "layers/sharedtree.h"

#include <QByteArray>
#include <QHash>
#include <QMutex>

#include <atomic>
#include <mutex>

namespace lamina {

namespace {

struct Slot
{
    std::once_flag once;
    std::shared_ptr<const MergedTree> tree;
    std::atomic<bool> built { false };
};

QMutex &mutex()
{
    static QMutex m;
    return m;
}

QHash<QByteArray, std::weak_ptr<Slot>> &slots()
{
    static QHash<QByteArray, std::weak_ptr<Slot>> s;
    return s;
}

/// The layers' addresses and `upto`. A live tree holds its layers, so no other layer can take
/// one of these addresses while its slot is alive.
QByteArray keyOf(const MergedTree::Layers &layers, int upto)
{
    QByteArray key;
    key.reserve((layers.size() + 1) * qsizetype(sizeof(void *)));
    key.append(reinterpret_cast<const char *>(&upto), sizeof upto);
    for (const auto &l : layers) {
        const LayerIndex *p = l.get();
        key.append(reinterpret_cast<const char *>(&p), sizeof p);
    }
    return key;
}

/// The live slot of `key`, made when there is none.
std::shared_ptr<Slot> slotFor(const QByteArray &key)
{
    QMutexLocker lock(&mutex());
    slots().removeIf([](const auto &it) { return it.value().expired(); });
    std::shared_ptr<Slot> slot = slots().value(key).lock();
    if (!slot) {
        slot = std::make_shared<Slot>();
        slots().insert(key, slot);
    }
    return slot;
}

} // namespace

std::shared_ptr<const MergedTree> sharedMergedTree(const MergedTree::Layers &layers, int upto)
{
    const std::shared_ptr<Slot> slot = slotFor(keyOf(layers, upto));
    std::call_once(slot->once, [&] {
        slot->tree = std::make_shared<const MergedTree>(MergedTree::build(layers, upto));
        slot->built.store(true, std::memory_order_release);
    });
    // The tree lives as long as its slot: held by whoever holds the tree.
    return std::shared_ptr<const MergedTree>(slot, slot->tree.get());
}

std::shared_ptr<const MergedTree> adoptMergedTree(
    const MergedTree::Layers &layers, int upto, std::shared_ptr<const MergedTree> tree)
{
    if (!tree)
        return {};
    const std::shared_ptr<Slot> slot = slotFor(keyOf(layers, upto));
    // A build under way for the same key finishes first, and its tree is the one kept.
    std::call_once(slot->once, [&] {
        slot->tree = std::move(tree);
        slot->built.store(true, std::memory_order_release);
    });
    return std::shared_ptr<const MergedTree>(slot, slot->tree.get());
}

std::shared_ptr<const MergedTree> liveMergedTree(const MergedTree::Layers &layers, int upto)
{
    std::shared_ptr<Slot> slot;
    {
        QMutexLocker lock(&mutex());
        slot = slots().value(keyOf(layers, upto)).lock();
    }
    // Built when the tree is set; a slot still building is not waited for.
    if (!slot || !slot->built.load(std::memory_order_acquire))
        return {};
    return std::shared_ptr<const MergedTree>(slot, slot->tree.get());
}

std::shared_ptr<const MergedTree> borrowOrBuildTree(const MergedTree::Layers &layers, int upto)
{
    if (auto tree = liveMergedTree(layers, upto))
        return tree;
    return std::make_shared<const MergedTree>(MergedTree::build(layers, upto, false, false));
}

} // namespace lamina
