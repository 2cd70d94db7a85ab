// SPDX-License-Identifier: MIT
// Paths inside an image, followed as a container would follow them (declared in layers/extract.h,
// where cat and extract take them).
#include "layers/extract.h"

#include "util/limits.h"

namespace lamina {

int resolveInTree(const MergedTree &tree, QByteArrayView path, bool followLast, QString *error)
{
    QList<QByteArray> todo = path.toByteArray().split('/');
    QList<int> stack { tree.root() };
    int hops = 0;
    while (!todo.isEmpty()) {
        const QByteArray part = todo.takeFirst();
        if (part.isEmpty() || part == ".")
            continue;
        if (part == "..") {
            if (stack.size() > 1)
                stack.removeLast();
            continue;
        }
        const int node = tree.childNamed(stack.constLast(), part);
        if (node < 0) {
            *error = QStringLiteral("%1: not in the image").arg(QString::fromUtf8(path.toByteArray()));
            return -1;
        }
        const LayerEntry &e = tree.entry(node);
        if (e.type == EntryType::Symlink && (followLast || !todo.isEmpty())) {
            if (++hops > kMaxLinkHops) {
                *error = QStringLiteral("%1: symbolic links loop (more than %2 hops, the link hop limit)")
                             .arg(QString::fromUtf8(path.toByteArray()))
                             .arg(kMaxLinkHops);
                return -1;
            }
            const QByteArray target = tree.layerIndex(tree.node(node).layer).linkTarget(tree.node(node).entry);
            if (target.startsWith('/'))
                stack = { tree.root() };
            todo = target.split('/') + todo;
            continue;
        }
        stack.append(node);
    }
    return stack.constLast();
}

} // namespace lamina
